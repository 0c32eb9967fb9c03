import '@testing-library/jest-dom/vitest';

import { vi } from 'vitest';

// jsdom cannot run xterm.js: a log goes into a plain element instead, through the same seam, for
// every spec (JobLog loads the terminal with the first log shown).
vi.mock('../../../frontend/lib/log-terminal', () => ({
  openLogTerminal(element: HTMLElement) {
    const out = document.createElement('pre');
    out.setAttribute('aria-label', 'Terminal');
    element.appendChild(out);
    return {
      write: (text: string) => {
        out.textContent += text;
      },
      dispose: () => out.remove(),
    };
  },
  // A console: what is written shows in a <pre>; typing is an <input> whose Enter sends its text.
  openConsoleTerminal(element: HTMLElement, label: string, _scrollback: number, onInput: (data: string) => void) {
    const out = document.createElement('pre');
    out.setAttribute('aria-label', 'Terminal');
    const input = document.createElement('input');
    input.setAttribute('aria-label', label);
    input.addEventListener('keydown', event => {
      if (event.key !== 'Enter') return;
      onInput(`${input.value}\r`);
      input.value = '';
    });
    element.append(out, input);
    return {
      write: (text: string) => {
        out.textContent += text;
      },
      focus: () => input.focus(),
      dispose: () => {
        out.remove();
        input.remove();
      },
    };
  },
}));

// jsdom has no ResizeObserver; ui-svelte's floating tooltips (via @floating-ui) expect one.
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
