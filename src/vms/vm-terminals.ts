/**
 * Interactive SSH terminals into running VMs for the webview: each an ssh2 shell (vm-shell.ts, the
 * code Podman Desktop's terminal tab uses too) whose output is kept by byte offset, so the page
 * reads it through the bridge as it reads a console, and whose input and size come from the page.
 * A terminal no page has read for a while is closed: a webview that went away leaves none behind.
 */

import { randomUUID } from 'node:crypto';

import type { TerminalChunk, VmInfo } from '../api/vms';
import { openVmShell, type VmShell } from './vm-shell';

/** Output kept per terminal (older output is dropped; the page has read it long before). */
const KEPT_CHARS = 1024 * 1024;
/** A terminal unread for this long is closed. */
const IDLE_MS = 60_000;

interface Terminal {
  shell: VmShell;
  text: string;
  /** The offset of `text`'s first character in everything the shell wrote. */
  start: number;
  ended: boolean;
  error?: string;
  code?: string;
  lastRead: number;
}

export class VmTerminals {
  readonly #terminals = new Map<string, Terminal>();
  /** Looks for idle terminals while there are any (nothing runs before the first is opened). */
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly idleMs = IDLE_MS,
  ) {}

  #watch(): void {
    if (this.#timer) return;
    this.#timer = setInterval(
      () => {
        for (const [id, terminal] of this.#terminals) if (this.now() - terminal.lastRead > this.idleMs) this.close(id);
        if (this.#terminals.size === 0) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
      Math.min(this.idleMs, 10_000),
    );
    this.#timer.unref?.();
  }

  open(vm: VmInfo, rows: number, cols: number): string {
    const id = randomUUID();
    const terminal: Terminal = {
      shell: undefined as unknown as VmShell,
      text: '',
      start: 0,
      ended: false,
      lastRead: this.now(),
    };
    terminal.shell = openVmShell(
      vm,
      {
        data: text => {
          terminal.text += text;
          if (terminal.text.length > KEPT_CHARS) {
            const drop = terminal.text.length - KEPT_CHARS;
            terminal.text = terminal.text.slice(drop);
            terminal.start += drop;
          }
        },
        error: (message, code) => {
          terminal.error = message;
          terminal.code = code;
        },
        end: () => (terminal.ended = true),
      },
      { rows, cols },
    );
    this.#terminals.set(id, terminal);
    this.#watch();
    return id;
  }

  /** Output from `from` (an offset in everything written); `ended` once the shell closed. */
  read(id: string, from: number): TerminalChunk {
    const terminal = this.#get(id);
    terminal.lastRead = this.now();
    const offset = Math.max(from, terminal.start) - terminal.start;
    const chunk: TerminalChunk = {
      data: terminal.text.slice(offset),
      next: terminal.start + terminal.text.length,
      ended: terminal.ended,
      ...(terminal.error ? { error: terminal.error } : {}),
      ...(terminal.code ? { code: terminal.code } : {}),
    };
    if (terminal.ended && chunk.data === '') this.#terminals.delete(id);
    return chunk;
  }

  write(id: string, data: string): void {
    this.#get(id).shell.write(data);
  }

  resize(id: string, rows: number, cols: number): void {
    this.#get(id).shell.resize(rows, cols);
  }

  close(id: string): void {
    const terminal = this.#terminals.get(id);
    if (!terminal) return;
    this.#terminals.delete(id);
    terminal.shell.close();
  }

  dispose(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const id of [...this.#terminals.keys()]) this.close(id);
  }

  #get(id: string): Terminal {
    const terminal = this.#terminals.get(id);
    if (!terminal) throw new Error(`no terminal ${id}: it was closed (open it again)`);
    return terminal;
  }
}
