/** bootc's --progress-fd events read into one percentage over pulling, importing and staging. */

import { expect, test } from 'vitest';

import { offersProgressFd, progressOf } from '../../../src/day2/bootc-progress';

const event = (fields: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'org.containers.bootc.progress/v1', id: 'quay.io/me/os:1', subtasks: [], ...fields });

test('pulling is most of it, by bytes; importing and staging by steps', () => {
  expect(
    progressOf(
      event({ type: 'ProgressBytes', task: 'pulling', description: 'Pulling', bytes: 50e6, bytesTotal: 100e6 }),
    ),
  ).toEqual({ percent: 40, message: 'Pulling: 50 MB of 100 MB' });
  expect(
    progressOf(event({ type: 'ProgressSteps', task: 'importing', description: 'Importing', steps: 1, stepsTotal: 1 })),
  ).toEqual({ percent: 90, message: 'Importing: 1 of 1' });
  expect(
    progressOf(event({ type: 'ProgressSteps', task: 'staging', description: 'Staging', steps: 1, stepsTotal: 2 })),
  ).toEqual({
    percent: 95,
    message: 'Staging: 1 of 2',
  });
});

test('an unknown total counts as nothing done yet; an unknown stage spans the whole', () => {
  expect(
    progressOf(event({ type: 'ProgressBytes', task: 'pulling', description: 'Pulling', bytes: 5, bytesTotal: 0 })),
  ).toEqual({
    percent: 0,
    message: 'Pulling',
  });
  expect(progressOf(event({ type: 'ProgressSteps', task: 'verifying', steps: 1, stepsTotal: 4 }))?.percent).toBe(25);
});

test.each(['Queued for next boot: quay.io/me/os:1', '{not json', '{"type":"Start","apiVersion":"v1"}', ''])(
  '%j is output, not progress',
  line => expect(progressOf(line)).toBeUndefined(),
);

test('whether a bootc offers --progress-fd is read from its --help', () => {
  expect(offersProgressFd('      --progress-fd <PROGRESS_FD>\n          Pipe download progress to this fd')).toBe(true);
  expect(offersProgressFd('Usage: bootc upgrade [OPTIONS]\n      --check')).toBe(false);
});
