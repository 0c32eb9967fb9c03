import { PUSH_CHANNELS } from '../../src/api/rpc-protocol';
import type { VmInfo, VmState } from '../../src/api/vms';
import { api } from '../rpc';
import { PushFeed } from './push-feed.svelte';

/** How often the list is read again while shown: a guest may power itself off, or its QEMU die. */
export const VMS_POLL_MS = 3000;

export const VM_STATE_LABELS: Record<VmState, string> = {
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
};

export const VM_STATE_COLOURS: Record<VmState, string> = {
  starting: 'text-[var(--pd-state-info)]',
  running: 'text-[var(--pd-state-success)]',
  stopping: 'text-[var(--pd-state-info)]',
  stopped: 'text-[var(--pd-content-text)]',
};

/** The VMs as the page sees them: read on mount, on every `vmsChanged` hint, and every few seconds. */
export class VmsFeed extends PushFeed<VmInfo[]> {
  vms: VmInfo[] | undefined = $state.raw();

  constructor() {
    super(PUSH_CHANNELS.vmsChanged, 100, 500);
  }

  protected async fetch(): Promise<VmInfo[]> {
    return (await api.listVms()).vms;
  }

  protected accept(value: VmInfo[]): void {
    this.vms = value;
  }

  override start(): () => void {
    const stop = super.start();
    const poll = setInterval(() => void this.load(), VMS_POLL_MS);
    return () => {
      clearInterval(poll);
      stop();
    };
  }
}

/** What a VM boots, in a few words: the image of its build, or its disk file. */
export function vmSourceText(vm: VmInfo): string {
  const what = vm.source.kind === 'build' ? (vm.source.imageRef ?? `build ${vm.source.buildId}`) : vm.source.diskPath;
  if (!vm.source.installer) return what;
  return `${what} (${vm.installed ? 'installed' : 'installs at first start'})`;
}

/** `3m 12s`, `2h 5m`: how long a VM has run. */
export function uptimeText(ms: number | undefined): string {
  if (ms === undefined) return '';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours}h ${minutes % 60}m` : `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
