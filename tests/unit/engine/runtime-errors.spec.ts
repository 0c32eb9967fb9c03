/**
 * A container start refused by the host's OCI runtime (crun on cgroup v1 hybrid, runc not allowed
 * podman's default rlimits, a runtime not installed) is reported as what failed and which setting
 * fixes it, followed by podman's own words; anything else is left as it came. Both adapters.
 */

import { describe, expect, test, vi } from 'vitest';

import { EngineError } from '../../../src/engine/container-engine';
import { PodmanDesktopEngine } from '../../../src/engine/pd/podman-desktop';
import { explainStartFailure, startFailure } from '../../../src/engine/runtime-errors';

const RLIMIT =
  'runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied';
const HYBRID = 'crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2: OCI runtime error';
const MISSING = 'default OCI runtime "crun" not found: invalid argument';
const ID = 'a'.repeat(64);

describe('explainStartFailure', () => {
  test('each known refusal names the setting that fixes it', () => {
    expect(explainStartFailure(RLIMIT)).toMatch(/resource limits.*default_ulimits.*\[containers\].*containers\.conf/);
    expect(explainStartFailure(HYBRID)).toMatch(/crun.*cgroup v1.*runtime = "runc".*\[engine\]/);
    expect(explainStartFailure(MISSING)).toMatch(/not installed/);
    expect(explainStartFailure('exec: "bootc-image-builder": executable file not found in $PATH')).toBeUndefined();
  });

  test("the message: what failed first, podman's words after, without the adapter's own wrapping", () => {
    const error = startFailure(new EngineError(`Starting container ${ID} failed: HTTP 500 — ${RLIMIT}`, 500), ID);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe(
      `podman could not start container aaaaaaaaaaaa: ${explainStartFailure(RLIMIT)}. podman said: ${RLIMIT}`,
    );
    expect((error as EngineError).statusCode).toBe(500);
    const other = new EngineError('no such image');
    expect(startFailure(other, ID)).toBe(other);
  });
});

describe('the Podman Desktop adapter', () => {
  test('a start refused by the runtime is explained; another failure keeps its text', async () => {
    const startContainer = vi.fn(async () => {
      throw new Error(HYBRID);
    });
    const engine = new PodmanDesktopEngine({ startContainer } as never);
    await expect(engine.startContainer('podman.podman', 'builder')).rejects.toThrow(
      /^podman could not start container builder: the OCI runtime crun .*podman said: crun: cgroups in hybrid mode/,
    );
    startContainer.mockRejectedValueOnce(new Error('container is already running'));
    await expect(engine.startContainer('podman.podman', 'builder')).rejects.toThrow(
      'Starting container builder failed: container is already running',
    );
  });
});
