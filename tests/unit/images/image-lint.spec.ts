/** bootc container lint's output read into errors and warnings; a bootc that cannot lint is "unchecked", not failed. */

import { expect, test } from 'vitest';

import { parseLintOutput } from '../../../src/images/image-lint';

test('a clean pass with a warning: checked, no errors, the warning listed', () => {
  expect(
    parseLintOutput(
      ['Lint warning: var-log: Found non-empty logfiles: /var/log/dnf.log\r', 'Checks passed: 11', ''],
      0,
    ),
  ).toEqual({
    checked: true,
    errors: [],
    warnings: ['Lint warning: var-log: Found non-empty logfiles: /var/log/dnf.log'],
    output: ['Lint warning: var-log: Found non-empty logfiles: /var/log/dnf.log', 'Checks passed: 11'],
  });
});

test('a failure: its error lines, or its last line when it names none', () => {
  const failed = parseLintOutput(['Lint error: kernel: Multiple kernels found', 'error: Linting: 1 lint failed'], 1);
  expect(failed.errors).toEqual(['Lint error: kernel: Multiple kernels found', 'error: Linting: 1 lint failed']);
  expect(parseLintOutput(['something broke'], 2).errors).toEqual(['something broke']);
});

test.each([
  "error: unrecognized subcommand 'lint'",
  'exec: "bootc": executable file not found in $PATH',
  'sh: bootc: command not found',
])('%s: the image cannot lint, nothing was checked', line => {
  expect(parseLintOutput([line], 127)).toMatchObject({ checked: false, errors: [] });
});
