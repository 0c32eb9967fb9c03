import '@xterm/xterm/css/xterm.css';

import { Terminal, type ITheme } from '@xterm/xterm';

/** Where a job's log is written: an xterm.js terminal in the page, a fake in tests (jsdom cannot run xterm). */
export interface LogSink {
  write(text: string): void;
  dispose(): void;
}

const FONT_SIZE = 12;
const FONT_FAMILY = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';
/** The width xterm keeps for its scrollbar (its fit addon's DEFAULT_SCROLL_BAR_WIDTH). */
const SCROLLBAR_WIDTH = 14;

const ANSI = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'brightBlack',
  'brightRed',
  'brightGreen',
  'brightYellow',
  'brightBlue',
  'brightMagenta',
  'brightCyan',
  'brightWhite',
] as const;

/** Podman Desktop's terminal colours (`--pd-terminal-*`), so the log looks like PD's own terminals. */
function pdTheme(): ITheme {
  const style = getComputedStyle(document.documentElement);
  const colour = (name: string): string | undefined =>
    style.getPropertyValue(`--pd-terminal-${name}`).trim() || undefined;
  const theme: ITheme = {
    background: colour('background'),
    foreground: colour('foreground'),
    cursor: colour('background'),
    selectionBackground: colour('selectionBackground'),
    selectionForeground: colour('selectionForeground'),
  };
  for (const name of ANSI) {
    theme[name] = colour(`ansi${name[0].toUpperCase()}${name.slice(1)}`);
  }
  return theme;
}

interface CellSize {
  width: number;
  height: number;
}

/** xterm's own cell size once it rendered (what its fit addon reads), else an estimate from the font. */
function cellSize(terminal: Terminal): CellSize {
  const core = (
    terminal as unknown as {
      _core?: { _renderService?: { dimensions?: { css?: { cell?: CellSize } } } };
    }
  )._core;
  const cell = core?._renderService?.dimensions?.css?.cell;
  if (cell && cell.width > 0 && cell.height > 0) return cell;
  const context = document.createElement('canvas').getContext('2d');
  if (context) context.font = `${FONT_SIZE}px ${FONT_FAMILY}`;
  return { width: context?.measureText('W').width || FONT_SIZE * 0.6, height: Math.ceil(FONT_SIZE * 1.2) };
}

/** A terminal the page writes to and, for a console, reads typed input from. */
export interface ConsoleSink extends LogSink {
  focus(): void;
  /** Its size now, in character cells. */
  rows(): number;
  cols(): number;
}

/**
 * A terminal in `element`, sized to it (and re-sized with it), keeping the last `scrollback` lines.
 * Read-only for a job's log; with `onInput`, a console: what the user types (and pastes) is handed
 * to `onInput` as the terminal encodes it.
 */
function openTerminal(
  element: HTMLElement,
  label: string,
  scrollback: number,
  onInput?: (data: string) => void,
  onResize?: (size: { rows: number; cols: number }) => void,
): ConsoleSink {
  const terminal = new Terminal({
    convertEol: onInput === undefined,
    disableStdin: onInput === undefined,
    cursorBlink: false,
    cursorInactiveStyle: onInput === undefined ? 'none' : 'outline',
    fontSize: FONT_SIZE,
    fontFamily: FONT_FAMILY,
    scrollback,
    screenReaderMode: true,
    theme: pdTheme(),
  });
  terminal.open(element);
  terminal.textarea?.setAttribute('aria-label', label);
  const input = onInput ? terminal.onData(onInput) : undefined;
  const resized = onResize ? terminal.onResize(onResize) : undefined;

  // As xterm's fit addon does: the element's content box, less the scrollbar xterm draws over it.
  const fit = (): void => {
    const cell = cellSize(terminal);
    const style = getComputedStyle(element);
    const padding = (a: string, b: string): number => (parseFloat(a) || 0) + (parseFloat(b) || 0);
    const width = element.clientWidth - padding(style.paddingLeft, style.paddingRight) - SCROLLBAR_WIDTH;
    const height = element.clientHeight - padding(style.paddingTop, style.paddingBottom);
    const cols = Math.max(20, Math.floor(width / cell.width));
    const rows = Math.max(5, Math.floor(height / cell.height));
    if (cols !== terminal.cols || rows !== terminal.rows) terminal.resize(cols, rows);
  };
  const observer = new ResizeObserver(() => fit());
  observer.observe(element);
  fit();

  return {
    write: text => terminal.write(text),
    focus: () => terminal.focus(),
    rows: () => terminal.rows,
    cols: () => terminal.cols,
    dispose: () => {
      input?.dispose();
      resized?.dispose();
      observer.disconnect();
      terminal.dispose();
    },
  };
}

/** A read-only terminal for a job's log, with its colours and progress lines. */
export function openLogTerminal(element: HTMLElement, label: string, scrollback: number): LogSink {
  return openTerminal(element, label, scrollback);
}

/** A VM's serial console: the guest's output written as it comes, the user's typing handed to `onInput`. */
export function openConsoleTerminal(
  element: HTMLElement,
  label: string,
  scrollback: number,
  onInput: (data: string) => void,
): ConsoleSink {
  return openTerminal(element, label, scrollback, onInput);
}

/** An SSH shell: like a console, and each new size (the element's, in cells) handed to `onResize`. */
export function openShellTerminal(
  element: HTMLElement,
  label: string,
  onInput: (data: string) => void,
  onResize: (size: { rows: number; cols: number }) => void,
): ConsoleSink {
  return openTerminal(element, label, 5000, onInput, onResize);
}
