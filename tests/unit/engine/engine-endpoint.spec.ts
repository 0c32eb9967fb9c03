import { describe, expect, test } from 'vitest';

import type { EndpointEnvironment } from '../../../src/engine/engine-endpoint';
import { SshConnectionError } from '../../../src/ssh/ssh-errors';
import {
  connectionFailureMessage,
  EndpointError,
  noServiceMessage,
  parseEndpointUrl,
  resolveEndpoint,
  unixEndpoint,
} from '../../../src/engine/engine-endpoint';

function environment(
  env: Record<string, string | undefined>,
  options: { uid?: number; existing?: string[] } = {},
): EndpointEnvironment {
  const existing = new Set(options.existing ?? []);
  return { env, uid: options.uid, exists: path => existing.has(path) };
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('resolveEndpoint', () => {
  const rootless = '/run/user/1000/podman/podman.sock';

  test('an explicit url wins over CONTAINER_HOST and the sockets on disk', () => {
    const resolved = resolveEndpoint(
      'unix:///tmp/x/podman.sock',
      environment({ CONTAINER_HOST: 'unix:///elsewhere.sock' }, { uid: 1000, existing: [rootless] }),
    );
    expect(resolved).toEqual({
      source: 'url',
      endpoint: { kind: 'unix', url: 'unix:///tmp/x/podman.sock', socketPath: '/tmp/x/podman.sock' },
    });
  });

  test('CONTAINER_HOST comes next', () => {
    const resolved = resolveEndpoint(
      undefined,
      environment({ CONTAINER_HOST: 'unix:///tmp/ci/podman.sock' }, { uid: 1000, existing: [rootless] }),
    );
    expect(resolved.source).toBe('CONTAINER_HOST');
    expect(resolved.endpoint).toEqual(unixEndpoint('/tmp/ci/podman.sock'));
  });

  test('an empty CONTAINER_HOST is ignored', () => {
    const resolved = resolveEndpoint(undefined, environment({ CONTAINER_HOST: '' }, { uid: 0 }));
    expect(resolved).toEqual({ source: 'default', endpoint: unixEndpoint('/run/podman/podman.sock') });
  });

  test('the rootless socket under XDG_RUNTIME_DIR when it exists', () => {
    const resolved = resolveEndpoint(
      undefined,
      environment({ XDG_RUNTIME_DIR: '/run/user/1000/' }, { uid: 1000, existing: [rootless] }),
    );
    expect(resolved).toEqual({ source: 'default', endpoint: unixEndpoint(rootless) });
  });

  test('/run/user/<uid> when XDG_RUNTIME_DIR is unset or has no socket', () => {
    expect(resolveEndpoint(undefined, environment({}, { uid: 1000, existing: [rootless] })).endpoint).toEqual(
      unixEndpoint(rootless),
    );
    expect(
      resolveEndpoint(undefined, environment({ XDG_RUNTIME_DIR: '/tmp/rt' }, { uid: 1000, existing: [rootless] }))
        .endpoint,
    ).toEqual(unixEndpoint(rootless));
  });

  test('the rootful socket when no rootless socket exists, and for root', () => {
    expect(resolveEndpoint(undefined, environment({}, { uid: 1000 })).endpoint).toEqual(
      unixEndpoint('/run/podman/podman.sock'),
    );
    expect(
      resolveEndpoint(undefined, environment({}, { uid: 0, existing: ['/run/user/0/podman/podman.sock'] })).endpoint,
    ).toEqual(unixEndpoint('/run/podman/podman.sock'));
  });

  test('a relative XDG_RUNTIME_DIR is not trusted', () => {
    const resolved = resolveEndpoint(
      undefined,
      environment({ XDG_RUNTIME_DIR: 'rt' }, { uid: 1000, existing: ['rt/podman/podman.sock'] }),
    );
    expect(resolved.endpoint).toEqual(unixEndpoint('/run/podman/podman.sock'));
  });

  test('a bad CONTAINER_HOST is named in the error', () => {
    const error = errorOf(() => resolveEndpoint(undefined, environment({ CONTAINER_HOST: 'tcp://10.0.0.1:8080' })));
    expect(error).toBeInstanceOf(EndpointError);
    expect(error.message).toContain('CONTAINER_HOST tcp://10.0.0.1:8080 is not supported');
  });

  test('a bad --url is named in the error', () => {
    const error = errorOf(() => resolveEndpoint('podman.sock', environment({})));
    expect(error).toBeInstanceOf(EndpointError);
    expect(error.message).toContain('--url podman.sock is not a URL');
  });

  test('ssh from CONTAINER_HOST takes the key from CONTAINER_SSHKEY', () => {
    const resolved = resolveEndpoint(
      undefined,
      environment({
        CONTAINER_HOST: 'ssh://core@vm.example:2222/run/user/1000/podman/podman.sock',
        CONTAINER_SSHKEY: '/home/me/.ssh/id_ed25519',
      }),
    );
    expect(resolved.endpoint).toEqual({
      kind: 'ssh',
      url: 'ssh://core@vm.example:2222/run/user/1000/podman/podman.sock',
      user: 'core',
      host: 'vm.example',
      port: 2222,
      socketPath: '/run/user/1000/podman/podman.sock',
      identityFile: '/home/me/.ssh/id_ed25519',
    });
  });
});

describe('CONTAINER_SSHKEY', () => {
  test('applies to an ssh:// --url too, as podman --identity defaults to it', () => {
    const resolved = resolveEndpoint(
      'ssh://core@vm.example/run/podman/podman.sock',
      environment({ CONTAINER_SSHKEY: '/keys/vm', CONTAINER_HOST: 'unix:///ignored.sock' }),
    );
    expect(resolved.endpoint).toMatchObject({ kind: 'ssh', identityFile: '/keys/vm' });
  });

  test('never to a unix socket', () => {
    const resolved = resolveEndpoint('unix:///run/podman/podman.sock', environment({ CONTAINER_SSHKEY: '/keys/vm' }));
    expect(resolved.endpoint).not.toHaveProperty('identityFile');
  });
});

describe('connectionFailureMessage', () => {
  const ssh = parseEndpointUrl('ssh://core@vm:22/run/user/1000/podman/podman.sock');

  test("an SSH failure's own message, as it is", () => {
    const error = new SshConnectionError('SSH authentication as core@vm:22 failed for ssh://…', 'auth');
    expect(connectionFailureMessage(ssh, error)).toBe('SSH authentication as core@vm:22 failed for ssh://…');
  });

  test('anything else: no service, with the short reason', () => {
    expect(connectionFailureMessage(unixEndpoint('/tmp/p.sock'), { code: 'ENOENT' })).toContain(
      'No podman service at unix:///tmp/p.sock (the socket does not exist).',
    );
    expect(connectionFailureMessage(ssh, Object.assign(new Error('x'), { name: 'TimeoutError' }), 15_000)).toContain(
      '(no answer within 15 s)',
    );
  });
});

describe('parseEndpointUrl', () => {
  test('unix URLs', () => {
    expect(parseEndpointUrl('unix:///run/podman/podman.sock')).toEqual({
      kind: 'unix',
      url: 'unix:///run/podman/podman.sock',
      socketPath: '/run/podman/podman.sock',
    });
    expect(parseEndpointUrl('  UNIX:///tmp/a%20b/podman.sock ').socketPath).toBe('/tmp/a b/podman.sock');
  });

  test('ssh URLs, with the default port and without a user', () => {
    expect(parseEndpointUrl('ssh://root@192.168.1.5/run/podman/podman.sock')).toEqual({
      kind: 'ssh',
      url: 'ssh://root@192.168.1.5:22/run/podman/podman.sock',
      user: 'root',
      host: '192.168.1.5',
      port: 22,
      socketPath: '/run/podman/podman.sock',
    });
    const noUser = parseEndpointUrl('ssh://host.example:2222/run/podman/podman.sock');
    expect(noUser).toMatchObject({ host: 'host.example', port: 2222, user: undefined });
    expect(noUser.url).toBe('ssh://host.example:2222/run/podman/podman.sock');
  });

  test('ssh to an IPv6 host', () => {
    const endpoint = parseEndpointUrl('ssh://core@[::1]:2222/run/podman/podman.sock');
    expect(endpoint).toMatchObject({ host: '::1', port: 2222 });
    expect(endpoint.url).toBe('ssh://core@[::1]:2222/run/podman/podman.sock');
  });

  test.each([
    ['tcp://localhost:2375', /tcp:\/\/localhost:2375 is not supported.*unauthenticated/],
    ['http://localhost:8080', /is not supported/],
    ['npipe:////./pipe/podman', /unsupported scheme "npipe:"/],
    ['podman.sock', /url podman.sock is not a URL/],
    ['./run/podman.sock', /is not a URL/],
    ['/run/podman/podman.sock', /is a path, not a URL; did you mean unix:\/\/\/run\/podman\/podman.sock\?/],
    ['unix://run/podman.sock', /needs an absolute socket path after unix:\/\/ \(three slashes\)/],
    ['unix:/run/podman.sock', /needs an absolute socket path/],
    ['unix:///', /names a directory/],
    ['unix:///run/podman/', /names a directory/],
    ['ssh://core@host', /needs the podman socket path on the remote host/],
    ['ssh://core@host/', /needs the podman socket path/],
    ['ssh:///run/podman.sock', /has no host/],
    ['', /is empty/],
    ['   ', /is empty/],
  ])('rejects %j', (value, message) => {
    const error = errorOf(() => parseEndpointUrl(value));
    expect(error).toBeInstanceOf(EndpointError);
    expect(error.message).toMatch(message);
  });

  test('a password in the URL is refused without repeating it', () => {
    const error = errorOf(() => parseEndpointUrl('ssh://core:hunter2@host/run/podman/podman.sock', '--url'));
    expect(error).toBeInstanceOf(EndpointError);
    expect(error.message).toContain('contains a password');
    expect(error.message).not.toContain('hunter2');
    const tcp = errorOf(() => parseEndpointUrl('tcp://admin:s3cret@host:2375'));
    expect(tcp.message).not.toContain('s3cret');
  });

  test('unixEndpoint refuses a relative path', () => {
    expect(() => unixEndpoint('podman.sock')).toThrow(EndpointError);
  });
});

describe('noServiceMessage', () => {
  test('the rootful socket: start podman.socket as root', () => {
    expect(noServiceMessage(unixEndpoint('/run/podman/podman.sock'), 'the socket does not exist')).toBe(
      'No podman service at unix:///run/podman/podman.sock (the socket does not exist). ' +
        'Start one with `sudo systemctl start podman.socket` or ' +
        '`podman system service --time=0 unix:///run/podman/podman.sock &`, or pass --url.',
    );
  });

  test('a rootless socket: start the user unit', () => {
    const message = noServiceMessage(unixEndpoint('/run/user/1000/podman/podman.sock'), 'connection refused');
    expect(message).toContain('No podman service at unix:///run/user/1000/podman/podman.sock (connection refused).');
    expect(message).toContain('`systemctl --user start podman.socket`');
    expect(message).toContain('or pass --url.');
  });

  test('ssh: names the host', () => {
    const message = noServiceMessage(
      parseEndpointUrl('ssh://core@vm:22/run/user/1000/podman/podman.sock'),
      'host unreachable',
    );
    expect(message).toContain(
      'No podman service reachable at ssh://core@vm:22/run/user/1000/podman/podman.sock (host unreachable).',
    );
    expect(message).toContain('On vm, start one with');
  });
});
