/**
 * The VM's SSH terminal lives as long as the VM it shows: the page's poll hands down a new, equal
 * record every few seconds, and the session may not start over on it (what was typed meanwhile
 * would be lost).
 */

import { render, waitFor } from '@testing-library/svelte';
import { beforeEach, expect, test, vi } from 'vitest';

import VmTerminal from '../../../frontend/components/VmTerminal.svelte';
import { fakeRpc } from './fake-rpc';

vi.mock('../../../frontend/rpc', async () => (await import('./fake-rpc')).fakeRpc);
const opened = vi.hoisted(() => ({ terminals: 0 }));
vi.mock('../../../frontend/lib/log-terminal', () => {
  const sink = (element: HTMLElement) => {
    opened.terminals++;
    const out = document.createElement('pre');
    element.appendChild(out);
    return {
      write: (text: string) => (out.textContent += text),
      dispose: () => out.remove(),
      rows: () => 24,
      cols: () => 80,
      focus: () => undefined,
    };
  };
  return { openShellTerminal: sink };
});

const vm = { id: 'vm-1', name: 'tiny', state: 'running' as const };

beforeEach(() => {
  fakeRpc.reset();
  opened.terminals = 0;
  fakeRpc.api.openVmTerminal.mockResolvedValue('terminal-1');
  fakeRpc.api.readVmTerminal.mockResolvedValue({ data: '', next: 0, ended: false });
  fakeRpc.api.closeVmTerminal.mockResolvedValue(undefined);
});

test('the SSH terminal keeps its session across refreshed records; stopping the VM closes it', async () => {
  const { rerender } = render(VmTerminal, { vm });
  await waitFor(() => expect(fakeRpc.api.openVmTerminal).toHaveBeenCalledTimes(1));
  await rerender({ vm: { ...vm } });
  await rerender({ vm: { ...vm } });
  await new Promise(resolve => setTimeout(resolve, 300));
  expect(fakeRpc.api.openVmTerminal).toHaveBeenCalledTimes(1);
  expect(fakeRpc.api.closeVmTerminal).not.toHaveBeenCalled();
  expect(opened.terminals).toBe(1);
  await rerender({ vm: { ...vm, state: 'stopped' as const } });
  await waitFor(() => expect(fakeRpc.api.closeVmTerminal).toHaveBeenCalledWith('terminal-1'));
});
