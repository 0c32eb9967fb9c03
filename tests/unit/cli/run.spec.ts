import { describe, expect, test } from 'vitest';

import { UsageError } from '../../../src/cli/cli-context';
import { imagesCommand } from '../../../src/cli/commands/images';
import { runCli } from '../../../src/cli/run';
import type { ContainerEngine, EngineImage } from '../../../src/engine/container-engine';
import { EngineError } from '../../../src/engine/container-engine';
import { noContainers } from '../support/fake-containers';

function engineWith(images: EngineImage[]): ContainerEngine {
  return {
    ...noContainers(),
    listEngines: async () => [],
    listImages: async () => images,
    inspectImage: async (engineId, id) => ({
      id,
      engineId,
      repoTags: [],
      repoDigests: [],
      labels: {},
      arch: 'arm64',
      os: 'linux',
      size: 0,
      created: 0,
    }),
    inspectManifest: async () => {
      throw new EngineError('not a manifest list');
    },
    buildImage: async () => {
      throw new EngineError('not used here');
    },
    pushImage: async () => ({}),
    pullImage: async () => ({}),
    tagImage: async () => undefined,
    untagImage: async () => undefined,
    deleteImage: async () => undefined,
  };
}

const bootc: EngineImage = {
  id: 'sha256:b',
  engineId: 'podman:/run/podman/podman.sock',
  engineName: 'podman (rootful)',
  repoTags: ['registry.local:5000/team/os:1'],
  repoDigests: [],
  labels: { 'containers.bootc': '1' },
  size: 1_234_000_000,
  created: Date.now() - 3 * 24 * 3600_000,
};
const plain: EngineImage = { ...bootc, id: 'sha256:p', repoTags: ['docker.io/library/busybox:latest'], labels: {} };

async function run(
  argv: string[],
  connect: (url?: string) => Promise<ContainerEngine> = async () => engineWith([bootc, plain]),
) {
  let stdout = '';
  let stderr = '';
  const urls: (string | undefined)[] = [];
  const code = await runCli(
    argv,
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    },
    {
      commands: [imagesCommand],
      version: '9.9.9',
      connect: url => {
        urls.push(url);
        return connect(url);
      },
    },
  );
  return { code, stdout, stderr, urls };
}

describe('bootc-studio CLI', () => {
  test('images lists only bootc images, as a table with human figures', async () => {
    const { code, stdout } = await run(['images']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TAG\s+IMAGE ID\s+ARCH\s+SIZE\s+AGE\s+ENGINE$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^registry\.local:5000\/team\/os\s+1\s+b\s+arm64\s+1\.2 GB\s+3 days\s+podman \(rootful\)$/,
    );
  });

  test('images: one row per tag, and an untagged bootc image as <none> with its id', async () => {
    const id = 'sha256:3b9fb24a51a7994c1f3f4e50c012220559f8a226cb5aec40a697a225702795ff';
    const tagged = { ...bootc, id, repoTags: ['localhost/demo:1', '127.0.0.1:5000/demo:1'] };
    const untagged = { ...bootc, id: 'sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a0', repoTags: [] };
    const { code, stdout } = await run(['images'], async () => engineWith([tagged, untagged, plain]));
    expect(code).toBe(0);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map(line => line.split(/\s{2,}/).slice(0, 3));
    expect(rows).toEqual([
      ['127.0.0.1:5000/demo', '1', '3b9fb24a51a7'],
      ['localhost/demo', '1', '3b9fb24a51a7'],
      ['<none>', '<none>', '9f8e7d6c5b4a'],
    ]);
  });

  test('--json prints the records, before or after the command', async () => {
    for (const argv of [
      ['images', '--json'],
      ['--json', 'images'],
    ]) {
      const { code, stdout } = await run(argv);
      expect(code).toBe(0);
      const parsed = JSON.parse(stdout);
      expect(parsed).toHaveLength(1);
      expect(parsed[0]).toMatchObject({ name: 'registry.local:5000/team/os', tag: '1', architectures: ['arm64'] });
    }
  });

  test('--url reaches the connection', async () => {
    const { urls } = await run(['--url', 'unix:///tmp/p.sock', 'images']);
    expect(urls).toEqual(['unix:///tmp/p.sock']);
  });

  test('bad input exits 2, names the problem and starts nothing', async () => {
    for (const argv of [['imagez'], ['images', '--bogus'], ['images', 'extra'], ['--url']]) {
      const { code, stderr, urls } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(/^bootc-studio: /);
      expect(urls).toEqual([]);
    }
    expect((await run(['images', '--bogus'])).stderr).toContain("'--bogus'");
  });

  test('a usage error raised while connecting (a malformed --url) also exits 2', async () => {
    const { code, stderr } = await run(['images'], async () => {
      throw new UsageError('--url tcp://x is not supported');
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--url tcp://x is not supported');
  });

  test('an engine failure exits 1 with its message', async () => {
    const { code, stderr } = await run(['images'], async () => {
      throw new EngineError('No podman service at unix:///run/podman/podman.sock');
    });
    expect(code).toBe(1);
    expect(stderr).toBe('bootc-studio: No podman service at unix:///run/podman/podman.sock\n');
  });

  test('--help and --version answer without touching the engine', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('images');
    expect(help.stdout).toContain('Exit codes: 0 success, 1 the operation failed, 2 bad input.');
    const version = await run(['--version']);
    expect(version.stdout).toBe('9.9.9\n');
    expect([...help.urls, ...version.urls]).toEqual([]);
  });

  test('an empty engine says how to get a bootc image', async () => {
    const { code, stdout } = await run(['images'], async () => engineWith([plain]));
    expect(code).toBe(0);
    expect(stdout).toContain('FROM quay.io/fedora/fedora-bootc:42');
  });
});
