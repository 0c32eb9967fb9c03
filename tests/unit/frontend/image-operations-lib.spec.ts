import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';

import { PUSH_CHANNELS } from '../../../src/api/rpc-protocol';
import { BridgeError, errorInfoOf, fieldErrorsOf } from '../../../src/api/errors';
import { describeErrors, ValidationError } from '../../../src/api/validation';
import { duplicateBuildArgs, toBuildRequest } from '../../../frontend/lib/build-form';
import {
  isLocalOnlyRef,
  isLoopbackRegistry,
  platformOfArch,
  registryHost,
  routeWith,
  splitPath,
} from '../../../frontend/lib/image-references';
import { refreshOnPush } from '../../../frontend/lib/refresh-on-push';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);

describe('toBuildRequest', () => {
  const form = {
    contextDir: ' /home/me/os ',
    containerfile: '',
    tag: 'quay.io/me/os:1 ',
    platforms: ['linux/arm64', 'linux/amd64', 'linux/arm64'],
    buildArgs: [
      { key: 0, name: ' VERSION ', value: '1 ' },
      { key: 1, name: '', value: '' },
    ],
    noCache: false,
    pull: true,
  };

  test('trims, orders the platforms, leaves out blank rows and a blank Containerfile', () => {
    expect(toBuildRequest(form)).toEqual({
      contextDir: '/home/me/os',
      tag: 'quay.io/me/os:1',
      platforms: ['linux/amd64', 'linux/arm64'],
      buildArgs: { VERSION: '1 ' },
      noCache: false,
      pull: true,
    });
  });

  test('keeps a Containerfile and an engine when given, and a value without a name (to be flagged)', () => {
    const request = toBuildRequest({
      ...form,
      containerfile: 'Dockerfile',
      engineId: 'docker.default',
      buildArgs: [{ key: 0, name: '', value: 'x' }],
    });
    expect(request.containerfile).toBe('Dockerfile');
    expect(request.engineId).toBe('docker.default');
    expect(request.buildArgs).toEqual({ '': 'x' });
  });
});

test('duplicateBuildArgs names the later rows', () => {
  const rows = [
    { key: 1, name: 'A', value: '' },
    { key: 2, name: 'B', value: '' },
    { key: 3, name: 'A ', value: '' },
    { key: 4, name: '', value: '' },
    { key: 5, name: '', value: '' },
  ];
  expect([...duplicateBuildArgs(rows)]).toEqual([3]);
});

describe('errors across the bridge', () => {
  test('a validation error arrives with its fields as data, the message unchanged', () => {
    const errors = [
      { field: 'tag', message: 'not an image reference: use [registry/]name[:tag], lower-case, e.g. quay.io/me/os:1' },
      { field: 'buildArgs.1X', message: 'a build argument name is letters, digits and _, not starting with a digit' },
    ];
    const info = errorInfoOf(new ValidationError(errors));
    expect(info).toEqual({
      message: describeErrors(errors),
      code: 'invalid-input',
      fields: Object.fromEntries(errors.map(error => [error.field, error.message])),
    });
    // The wire carries plain data: what arrives after a structured clone is the same.
    const arrived = new BridgeError(structuredClone(info));
    expect(arrived.message).toBe(describeErrors(errors));
    expect(arrived.code).toBe('invalid-input');
    expect(fieldErrorsOf(arrived)).toEqual(errors);
  });

  test('an error about one field names it; any other error names none, whatever its text looks like', () => {
    const space = Object.assign(new Error('not enough room in /out'), { field: 'outputDir' });
    expect(fieldErrorsOf(new BridgeError(errorInfoOf(space)))).toEqual([
      { field: 'outputDir', message: 'not enough room in /out' },
    ]);
    const plain = new BridgeError(errorInfoOf(new Error('tag: looks like a field but is not one')));
    expect(fieldErrorsOf(plain)).toEqual([]);
    expect(fieldErrorsOf(new Error('connect ENOENT /run/podman/podman.sock'))).toEqual([]);
    expect(errorInfoOf(Object.assign(new Error('gone'), { code: 'not-found' }))).toEqual({
      message: 'gone',
      code: 'not-found',
    });
  });

  test('a scrub keeps a secret out of the message and the fields', () => {
    const error = new ValidationError([{ field: 'credentials.password', message: 'hunter2 is too short' }]);
    const info = errorInfoOf(error, text => text.replaceAll('hunter2', '***'));
    expect(JSON.stringify(info)).not.toContain('hunter2');
  });
});

describe('image references', () => {
  test.each([
    ['quay.io/me/os:1', 'quay.io', false],
    ['localhost:5000/os:1', 'localhost:5000', true],
    ['127.0.0.1:5000/os', '127.0.0.1:5000', true],
    ['[::1]:5000/os', '[::1]:5000', true],
    ['localhost/os:latest', 'localhost', true],
    ['registry.local:5000/os', 'registry.local:5000', false],
    ['library/fedora', undefined, false],
    ['fedora', undefined, false],
  ])('%s: registry %s, loopback %s', (ref, host, loopback) => {
    expect(registryHost(ref)).toBe(host);
    expect(isLoopbackRegistry(ref)).toBe(loopback);
  });

  test('only localhost/ names are local-only', () => {
    expect(isLocalOnlyRef('localhost/os:1')).toBe(true);
    expect(isLocalOnlyRef('localhost:5000/os:1')).toBe(false);
    expect(isLocalOnlyRef('quay.io/localhost/os')).toBe(false);
  });

  test('platformOfArch knows podman’s and docker’s names', () => {
    expect(platformOfArch('amd64')).toBe('linux/amd64');
    expect(platformOfArch('x86_64')).toBe('linux/amd64');
    expect(platformOfArch('aarch64')).toBe('linux/arm64');
    expect(platformOfArch('arm64')).toBe('linux/arm64');
    expect(platformOfArch('s390x')).toBeUndefined();
    expect(platformOfArch(undefined)).toBeUndefined();
  });

  test('splitPath handles both separators and the root', () => {
    expect(splitPath('/home/me/os/Containerfile')).toEqual({ dir: '/home/me/os', file: 'Containerfile' });
    expect(splitPath('C:\\Users\\me\\os\\Containerfile')).toEqual({ dir: 'C:\\Users\\me\\os', file: 'Containerfile' });
    expect(splitPath('/Containerfile')).toEqual({ dir: '/', file: 'Containerfile' });
  });

  test('routeWith encodes its query and drops undefined values', () => {
    expect(routeWith('/images', { push: 'quay.io/me/os:1', engine: undefined })).toBe(
      '/images?push=quay.io%2Fme%2Fos%3A1',
    );
    expect(routeWith('/images', {})).toBe('/images');
  });
});

describe('refreshOnPush with a maximum wait', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('a burst that never settles still refreshes every maxWait', () => {
    const listeners: ((body: unknown) => void)[] = [];
    const refresh = vi.fn();
    refreshOnPush(
      (_channel, listener) => {
        listeners.push(listener);
        return () => {};
      },
      [PUSH_CHANNELS.jobsChanged],
      refresh,
      100,
      500,
    );
    // A push every 50 ms for a second: a plain debounce would never fire.
    for (let t = 0; t < 1000; t += 50) {
      listeners.forEach(listener => listener(undefined));
      vi.advanceTimersByTime(50);
    }
    expect(refresh).toHaveBeenCalledTimes(2);
    // A lone push afterwards waits only for the debounce.
    listeners.forEach(listener => listener(undefined));
    vi.advanceTimersByTime(99);
    expect(refresh).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1);
    expect(refresh).toHaveBeenCalledTimes(3);
  });
});
