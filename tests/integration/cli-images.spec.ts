/**
 * `bootc-studio images` as a user runs it: the built dist/cli.js in a child process, against a
 * real podman service, found through --url or CONTAINER_HOST.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BUSYBOX_BASE, buildImage, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { startPodmanService } from './support/podman-service';
import { startRegistry } from './support/registry';
import { ProcessError, runProcess } from './support/run-process';

const cli = resolve(__dirname, '../../dist/cli.js');

async function bootcStudio(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { CONTAINER_HOST: _ignored, ...base } = process.env;
  try {
    const { stdout, stderr } = await runProcess(process.execPath, [cli, ...args], { env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    if (err instanceof ProcessError) return { code: err.exitCode, stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

describe('bootc-studio images against a real podman', () => {
  let podman: PodmanService;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    podman = await startPodmanService();
    await createBusyboxBase(podman);
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\n` }, 'localhost/os:1');
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL ostree.bootable=1\n` }, 'quay.io/team/os:2');
    await buildImage(podman, { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL role=app\n` }, 'localhost/app:1');
  });

  afterAll(async () => {
    await podman?.stop();
  });

  test('--json lists exactly the bootc-labelled images podman has', async () => {
    const { code, stdout } = await bootcStudio(['images', '--json', '--url', podman.url]);
    expect(code).toBe(0);
    const images = JSON.parse(stdout) as { ref: string; architectures: string[]; labels: Record<string, string> }[];
    expect(images.map(image => image.ref).sort()).toEqual(['localhost/os:1', 'quay.io/team/os:2']);

    // The same answer podman's own CLI gives, filtered by the two labels.
    const { stdout: listed } = await podman.podman(['images', '--format', 'json']);
    const expected = (JSON.parse(listed) as { Names?: string[]; Labels?: Record<string, string> | null }[])
      .filter(image => image.Labels && ('containers.bootc' in image.Labels || 'ostree.bootable' in image.Labels))
      .flatMap(image => image.Names ?? [])
      .sort();
    expect(images.map(image => image.ref).sort()).toEqual(expected);
    for (const image of images) expect(image.architectures).toHaveLength(1);
  });

  test('the engine info podman answered is kept in the store and the next run answers the same from it', async () => {
    const store = mkdtempSync(join(tmpdir(), 'bootc-studio-cli-images-'));
    try {
      const first = await bootcStudio(['images', '--json', '--url', podman.url, '--store', store]);
      expect(first.code).toBe(0);
      expect(readdirSync(join(store, 'engine-info'))).toHaveLength(1);
      const again = await bootcStudio(['images', '--json', '--url', podman.url, '--store', store]);
      expect(again).toMatchObject({ code: 0, stdout: first.stdout });
      const engineIds = new Set((JSON.parse(again.stdout) as { engineId: string }[]).map(image => image.engineId));
      expect([...engineIds]).toEqual([expect.stringMatching(/^podman:/)]);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  test('CONTAINER_HOST is used when --url is absent; the table names each image', async () => {
    const { code, stdout } = await bootcStudio(['images'], { CONTAINER_HOST: podman.url });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+TAG\s+IMAGE ID\s+ARCH\s+SIZE\s+AGE\s+ENGINE\n/);
    expect(stdout).toContain('localhost/os');
    expect(stdout).toContain('quay.io/team/os');
    expect(stdout).not.toContain('localhost/app');
  });

  test('an image with three tags (one pushed to a registry) is three rows; an untagged one is <none>', async () => {
    const registry = await startRegistry();
    try {
      const id = await buildImage(
        podman,
        { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nLABEL demo=1\n` },
        'localhost/demo:1',
      );
      const pushed = `${registry.url}/demo:1`;
      await podman.podman(['tag', id, 'localhost/demo:latest', pushed]);
      await podman.podman(['push', '--tls-verify=false', pushed]);
      const untagged = await buildImage(
        podman,
        { Containerfile: `FROM ${BUSYBOX_BASE}\nLABEL containers.bootc=1\nLABEL untagged=1\n` },
        'localhost/soon-untagged:1',
      );
      await podman.podman(['untag', untagged]);

      const { code, stdout } = await bootcStudio(['images', '--json', '--url', podman.url]);
      expect(code).toBe(0);
      const images = JSON.parse(stdout) as { id: string; ref: string; name: string; tag: string; tags: string[] }[];
      const demo = images.filter(image => image.id.replace(/^sha256:/, '') === id);
      expect(demo.map(image => image.ref).sort()).toEqual(['localhost/demo:1', 'localhost/demo:latest', pushed].sort());
      for (const image of demo) expect(image.tags).toHaveLength(3);
      const none = images.filter(image => image.id.replace(/^sha256:/, '') === untagged);
      expect(none).toMatchObject([{ name: '<none>', tag: '<none>', tags: [] }]);

      const table = await bootcStudio(['images', '--url', podman.url]);
      expect(table.stdout).toMatch(
        new RegExp(`^${registry.url.replace(/\./g, '\\.')}/demo\\s+1\\s+${id.slice(0, 12)}\\s`, 'm'),
      );
      expect(table.stdout).toMatch(new RegExp(`^<none>\\s+<none>\\s+${untagged.slice(0, 12)}\\s`, 'm'));
    } finally {
      await registry.stop();
    }
  });

  test('no service at the socket: exit 1 with how to start one', async () => {
    const { code, stderr } = await bootcStudio(['images', '--url', `unix://${join(podman.dir, 'none.sock')}`]);
    expect(code).toBe(1);
    expect(stderr).toContain('No podman service at');
    expect(stderr).toContain('podman system service');
  });

  test('a malformed --url is bad input: exit 2', async () => {
    const { code, stderr } = await bootcStudio(['images', '--url', 'tcp://127.0.0.1:2375']);
    expect(code).toBe(2);
    expect(stderr).toContain('tcp://127.0.0.1:2375');
  });
});
