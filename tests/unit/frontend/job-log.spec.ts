import { render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, test, vi } from 'vitest';

import type { Job } from '../../../src/api/jobs';
import JobLog from '../../../frontend/components/JobLog.svelte';
import { LOG_KEPT_LINES } from '../../../frontend/lib/jobs.svelte';
import { fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

// The terminal stand-in of setup.ts, counted: xterm.js must be loaded only once a log is shown.
const opened = vi.hoisted(() => ({ count: 0, scrollback: [] as number[] }));
vi.mock('../../../frontend/lib/log-terminal', () => ({
  openLogTerminal(element: HTMLElement, _label: string, scrollback: number) {
    opened.count++;
    opened.scrollback.push(scrollback);
    const out = document.createElement('pre');
    out.setAttribute('aria-label', 'Terminal');
    element.appendChild(out);
    return {
      write: (text: string) => {
        out.textContent += text;
      },
      dispose: () => out.remove(),
    };
  },
}));

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job-1',
    kind: 'vm-start',
    title: 'Starting vm-1',
    subject: 'vm-1',
    status: 'running',
    steps: [],
    warnings: [],
    created: Date.now() - 5000,
    started: Date.now() - 4000,
    logLines: 0,
    runningHere: true,
    actions: [],
    detail: undefined,
    ...overrides,
  };
}

beforeEach(() => {
  fakeRpc.reset();
  opened.count = 0;
  opened.scrollback = [];
});

describe('JobLog', () => {
  test('shows where any kind of job stands: status, percent, message, steps, warnings', async () => {
    render(JobLog, {
      job: job({
        percent: 40,
        message: 'waiting for sshd',
        steps: [
          { name: 'boot', status: 'succeeded' },
          { name: 'ssh', status: 'running', message: 'port 2222' },
          { name: 'upgrade', status: 'pending' },
        ],
        warnings: ['the firmware is not signed'],
      }),
      label: 'Start log',
    });
    expect(screen.getByLabelText('Status')).toHaveTextContent('Running');
    expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
    expect(screen.getByLabelText('Current step')).toHaveTextContent('waiting for sshd');
    const steps = screen.getByRole('list', { name: 'Steps' });
    expect(
      within(steps)
        .getAllByRole('listitem')
        .map(item => item.getAttribute('aria-label')),
    ).toEqual(['Step boot', 'Step ssh', 'Step upgrade']);
    expect(within(steps).getByRole('listitem', { name: 'Step ssh' })).toHaveTextContent('running');
    expect(within(steps).getByRole('listitem', { name: 'Step ssh' })).toHaveTextContent('port 2222');
    expect(screen.getByRole('list', { name: 'Warnings' })).toHaveTextContent('the firmware is not signed');
  });

  test('a failed job says why, from its structured error', async () => {
    render(JobLog, {
      job: job({ status: 'failed', error: { message: 'qemu exited with status 1', code: 'process-failed' } }),
      label: 'Start log',
    });
    expect(screen.getByRole('alert', { name: 'Why it failed' })).toHaveTextContent('qemu exited with status 1');
    expect(screen.getByLabelText('Status')).toHaveTextContent('Failed');
  });

  test('the kind may name the status in its own words', async () => {
    render(JobLog, { job: job({ status: 'succeeded' }), label: 'Push log', statusText: 'Pushed' });
    expect(screen.getByLabelText('Status')).toHaveTextContent('Pushed');
  });

  test('reads the log by cursor as the record grows, and stops once the job ended', async () => {
    const lines = ['booting', 'kernel loaded'];
    fakeRpc.api.readJobLog.mockImplementation(async (_id, from) => ({ lines: lines.slice(from), next: lines.length }));
    const view = render(JobLog, { job: job({ logLines: 2 }), label: 'Start log' });
    const log = screen.getByRole('log', { name: 'Start log' });
    await waitFor(() => expect(log.textContent).toBe('booting\nkernel loaded'));

    lines.push('login:');
    await view.rerender({ job: job({ logLines: 3, status: 'succeeded' }), label: 'Start log' });
    await waitFor(() => expect(log.textContent).toBe('booting\nkernel loaded\nlogin:'));
    expect(fakeRpc.api.readJobLog.mock.calls).toEqual([
      ['job-1', 0],
      ['job-1', 2],
    ]);

    // Ended and read to its end: a later record asks nothing more.
    await view.rerender({ job: job({ logLines: 3, status: 'succeeded', message: 'done' }), label: 'Start log' });
    await screen.findByText('done');
    expect(fakeRpc.api.readJobLog).toHaveBeenCalledTimes(2);
  });

  test('says "older lines dropped" when the backend no longer keeps the first lines', async () => {
    fakeRpc.serveLog(
      Array.from({ length: 250 }, (_, i) => `line ${i}`),
      200,
    );
    render(JobLog, { job: job({ logLines: 250 }), label: 'Start log' });
    expect(await screen.findByText('200 older lines dropped')).toBeInTheDocument();
    const log = screen.getByRole('log', { name: 'Start log' });
    await waitFor(() => expect(log.textContent).toMatch(/^line 200\n[^]*\nline 249$/));
  });

  test('no "older lines dropped" while every line is kept', async () => {
    fakeRpc.serveLog(['only line']);
    render(JobLog, { job: job({ logLines: 1 }), label: 'Start log' });
    await waitFor(() => expect(screen.getByRole('log', { name: 'Start log' })).toHaveTextContent('only line'));
    expect(screen.queryByText(/dropped/)).not.toBeInTheDocument();
  });

  test('the terminal is loaded only when a log is shown', async () => {
    const view = render(JobLog, { job: job(), label: 'Push log', showLog: false });
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(opened.count).toBe(0);
    expect(screen.queryByRole('log')).not.toBeInTheDocument();

    await view.rerender({ job: job({ logLines: 1 }), label: 'Push log', showLog: true });
    await waitFor(() => expect(opened.count).toBe(1));
  });

  test('the terminal keeps at most LOG_KEPT_LINES lines; those beyond count as not shown', async () => {
    const total = LOG_KEPT_LINES + 1000;
    fakeRpc.serveLog(Array.from({ length: total }, (_, i) => `line ${i}`));
    render(JobLog, { job: job({ logLines: total }), label: 'Start log' });
    expect(await screen.findByText('1000 earlier lines not shown')).toBeInTheDocument();
    expect(opened.scrollback).toEqual([LOG_KEPT_LINES]);
  });

  test('a log with no line yet says so; a failed read says why', async () => {
    render(JobLog, { job: job(), label: 'Start log' });
    expect(await screen.findByText('Waiting for the first lines…')).toBeInTheDocument();
    fakeRpc.api.readJobLog.mockRejectedValue(new Error('readJobLog did not answer within 10 s'));
    render(JobLog, { job: job({ id: 'job-2', logLines: 3 }), label: 'Other log' });
    expect(
      await screen.findByText('Could not read the log: readJobLog did not answer within 10 s'),
    ).toBeInTheDocument();
  });

  test('showState off shows only the log', async () => {
    render(JobLog, { job: job({ percent: 10, message: 'x' }), label: 'Build log', showState: false });
    expect(screen.queryByLabelText('Status')).not.toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByRole('log', { name: 'Build log' })).toBeInTheDocument();
  });
});
