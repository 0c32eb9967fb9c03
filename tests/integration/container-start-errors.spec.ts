/**
 * A host whose podman needs non-default settings to run containers (this machine without
 * .ci/containers.conf: runc may not set podman's default rlimits): starting the builder fails with
 * what failed and which setting fixes it, in words a user can act on, and podman's own text after
 * it (issue 8, item 13).
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, test } from 'vitest';

import { PodmanSocketEngine } from '../../src/engine/socket/podman-socket';
import { BUSYBOX_BASE, createBusyboxBase } from './support/images';
import type { PodmanService } from './support/podman-service';
import { machineContainersConf, startPodmanService } from './support/podman-service';

let podman: PodmanService;
let confDir: string;

beforeAll(async () => {
  confDir = await mkdtemp(join(tmpdir(), 'defaults-conf-'));
  // podman's defaults, except the network (not what this test is about).
  const conf = join(confDir, 'containers.conf');
  await writeFile(conf, '[containers]\nnetns = "host"\n');
  podman = await startPodmanService({ containersConf: conf });
  await createBusyboxBase(podman);
});

afterAll(async () => {
  await podman?.stop();
  await rm(confDir, { recursive: true, force: true });
});

test("a start refused by the host's OCI runtime says what failed and what to set, then podman's words", async () => {
  // Only machines like CI's (cgroup v1, no CAP_SYS_RESOURCE) refuse podman's defaults.
  expect(machineContainersConf(), 'this test needs a host where podman needs .ci/containers.conf').toBeDefined();
  const engine = new PodmanSocketEngine(podman.url);
  const [info] = await engine.listEngines();
  const id = await engine.createContainer(info.id, {
    name: 'defaults-refused',
    image: BUSYBOX_BASE,
    cmd: ['true'],
    binds: [],
    volumes: [],
    privileged: true,
    securityOpt: [],
    labels: {},
  });
  const error = await engine.startContainer(info.id, id).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error?.message).toMatch(/^podman could not start container \S+: /);
  expect(error?.message).toMatch(/containers\.conf/);
  expect(error?.message).toMatch(/default_ulimits|runtime = "runc"/);
  // podman's own text is kept after the explanation.
  expect(error?.message).toMatch(/podman said: .*(rlimit|cgroup)/);
});
