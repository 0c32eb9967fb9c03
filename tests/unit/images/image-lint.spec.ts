/** bootc container lint's output read into errors and warnings; a bootc that cannot lint is "unchecked", not failed. */

import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';

import { expect, test } from 'vitest';

import { parseLintOutput, removeAbandonedLints } from '../../../src/images/image-lint';
import { ENGINE, FakeEngine } from '../support/fake-engine';

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

test('a lint container whose process was killed is removed by the next sweep; a live process keeps its own', async () => {
  const engine = new FakeEngine();
  const spec = (owner?: string) => ({
    name: 'bootc-studio-lint-x',
    image: 'quay.io/me/os:1',
    cmd: ['bootc', 'container', 'lint'],
    binds: [],
    volumes: [],
    privileged: false,
    securityOpt: [],
    labels: { 'io.bootc-studio.lint': 'true', ...(owner ? { 'io.bootc-studio.lint.owner': owner } : {}) },
  });
  // A pid that existed and is gone: a child that has exited.
  const child = spawnSync(process.execPath, ['-e', '0']);
  const dead = await engine.createContainer(ENGINE.id, spec(`${hostname()}:${child.pid}`));
  const live = await engine.createContainer(ENGINE.id, spec(`${hostname()}:${process.ppid}`));
  const elsewhere = await engine.createContainer(ENGINE.id, spec(`another-host:${child.pid}`));
  const older = await engine.createContainer(ENGINE.id, spec());
  const app = await engine.createContainer(ENGINE.id, { ...spec(), labels: {} });
  await removeAbandonedLints(engine, ENGINE.id);
  expect([...engine.containers.keys()].sort()).toEqual([live, elsewhere, app].sort());
  expect(engine.containers.has(dead) || engine.containers.has(older)).toBe(false);
});
