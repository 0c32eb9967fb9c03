/**
 * The CLI's one job follower, over a real job registry: plain lines off a terminal, a bar redrawn in
 * place on one, --json as JSON lines only, Ctrl-C cancelling (or ending a watch), and a job of a
 * source that tells no changes (run by another process) followed to its end all the same.
 */

import { describe, expect, test, vi } from 'vitest';

import type { Job } from '../../../src/api/jobs';
import type { CliIo } from '../../../src/cli/cli-context';
import { followJob } from '../../../src/cli/job-follower';
import { JobRegistry, type JobContext } from '../../../src/jobs/job-registry';
import type { JobSource } from '../../../src/jobs/job-source';

function terminal(tty: boolean) {
  const out = { stdout: '', stderr: '' };
  let interrupt: (() => void) | undefined;
  const io: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text), isTTY: tty, columns: 60 },
    stderr: { write: (text: string) => (out.stderr += text) },
    env: {},
    onInterrupt: handler => {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  return { io, out, interrupt: () => interrupt?.() };
}

/** A job whose runner the test drives step by step. */
function driven(jobs: JobRegistry) {
  let context!: JobContext;
  let finish!: () => void;
  let ready!: () => void;
  const started = new Promise<void>(resolve => (ready = resolve));
  const job = jobs.start({
    kind: 'test-kind',
    title: 'Testing',
    subject: 's',
    detail: { answer: 42 },
    run: c =>
      new Promise<void>((resolve, reject) => {
        context = c;
        finish = resolve;
        c.signal.addEventListener('abort', () => reject(new Error('stopped')));
        ready();
      }),
  });
  return { id: job.id, started, context: () => context, finish: () => finish() };
}

const tick = () => new Promise(resolve => setTimeout(resolve, 5));

describe('followJob', () => {
  test('off a terminal: the log as plain lines and a progress line per tenth; no control characters', async () => {
    const jobs = new JobRegistry();
    const t = terminal(false);
    const run = driven(jobs);
    const following = followJob(jobs, run.id, t.io, { json: false, interrupt: 'cancel' });
    await run.started;
    run.context().log('first line');
    const seen = (text: string) => expect(t.out.stdout).toContain(text);
    run.context().progress(5, 'at 5');
    await vi.waitFor(() => seen('bootc-studio: 5% at 5'));
    run.context().progress(12, 'at 12');
    await vi.waitFor(() => seen('bootc-studio: 12% at 12'));
    // Still the same tenth: no line of its own.
    run.context().progress(15, 'at 15');
    await tick();
    run.context().progress(31, 'at 31');
    await vi.waitFor(() => seen('bootc-studio: 31% at 31'));
    run.context().log('last line');
    run.finish();
    const ended = await following;
    expect(ended.status).toBe('succeeded');
    expect(t.out.stdout).toContain('first line\n');
    expect(t.out.stdout).toContain('last line\n');
    expect(t.out.stdout.match(/^bootc-studio: \d+%.*$/gm)).toEqual([
      'bootc-studio: 5% at 5',
      'bootc-studio: 12% at 12',
      'bootc-studio: 31% at 31',
    ]);
    expect(t.out.stdout).not.toContain('\r');
    expect(t.out.stdout).not.toContain('\x1b');
  });

  test('on a terminal: a bar drawn in place, cleared before each log line and at the end', async () => {
    const jobs = new JobRegistry();
    const t = terminal(true);
    const run = driven(jobs);
    const following = followJob(jobs, run.id, t.io, { json: false, interrupt: 'cancel' });
    await run.started;
    run.context().progress(50, 'half');
    await tick();
    run.context().log('a line');
    await tick();
    run.finish();
    await following;
    expect(t.out.stdout).toContain('\r\x1b[2K[');
    expect(t.out.stdout).toMatch(/ {2}50% half/);
    // The bar never shares a line with the log, and the terminal is left clean.
    expect(t.out.stdout).toContain('\r\x1b[2Ka line\n');
    expect(t.out.stdout.endsWith('\r\x1b[2K')).toBe(true);
  });

  test('--json: every stdout line is an event — job changes (once each), log lines, and the end last', async () => {
    const jobs = new JobRegistry();
    const t = terminal(false);
    const run = driven(jobs);
    const following = followJob(jobs, run.id, t.io, {
      json: true,
      interrupt: 'cancel',
      present: job => ({ ...job, detail: { shown: true } }),
    });
    await run.started;
    run.context().progress(40, 'working');
    run.context().log('one\ntwo');
    await tick();
    run.finish();
    await following;
    const events = t.out.stdout
      .trimEnd()
      .split('\n')
      .map(line => JSON.parse(line) as { type: string; job?: Job; lines?: string[] });
    expect(events.at(-1)).toMatchObject({ type: 'end', job: { status: 'succeeded', detail: { shown: true } } });
    expect(events.filter(event => event.type === 'end')).toHaveLength(1);
    expect(events.filter(event => event.type === 'log').flatMap(event => event.lines)).toEqual(['one', 'two']);
    const percents = events.filter(event => event.type === 'job').map(event => event.job?.percent);
    expect(percents).toContain(40);
    // A change is told once, not once per look.
    expect(new Set(events.map(event => JSON.stringify(event))).size).toBe(events.length);
    expect(t.out.stderr).toContain('one\ntwo\n');
  });

  test('Ctrl-C cancels the job (a note on stderr); a watch is only ended, the job goes on', async () => {
    const jobs = new JobRegistry();
    const t = terminal(false);
    const run = driven(jobs);
    const following = followJob(jobs, run.id, t.io, { json: false, interrupt: 'cancel', cancelNote: 'Stopping it' });
    await run.started;
    t.interrupt();
    expect((await following).status).toBe('cancelled');
    expect(t.out.stderr).toContain('Stopping it');

    const watched = driven(jobs);
    const w = terminal(false);
    const watching = followJob(jobs, watched.id, w.io, { json: false, interrupt: 'stop' });
    await watched.started;
    w.interrupt();
    expect(['queued', 'running']).toContain((await watching).status);
    await tick();
    expect((await jobs.get(watched.id)).status).toBe('running');
    watched.finish();
  });

  test('a job of a source that tells no changes is looked at again until it ended and its log is read', async () => {
    let job: Job = {
      id: 'elsewhere',
      kind: 'stored',
      title: 'Run elsewhere',
      subject: 'elsewhere',
      status: 'running',
      steps: [],
      warnings: [],
      created: 1,
      logLines: 1,
      runningHere: false,
      actions: [],
      detail: {},
    };
    const log = ['from before'];
    const silent: JobSource = {
      kind: 'stored',
      list: async () => [job],
      get: async id => (id === job.id ? job : undefined),
      readLog: async (_id, from) => ({ lines: log.slice(from), next: log.length }),
      cancel: async () => false,
      onDidChange: () => ({ dispose: () => undefined }),
    };
    const jobs = new JobRegistry();
    jobs.attach(silent);
    const t = terminal(false);
    const following = followJob(jobs, 'elsewhere', t.io, { json: false, interrupt: 'stop' });
    await new Promise(resolve => setTimeout(resolve, 50));
    log.push('written later');
    job = { ...job, status: 'succeeded', logLines: 2 };
    expect((await following).status).toBe('succeeded');
    expect(t.out.stdout).toBe('from before\nwritten later\n');
  });
});
