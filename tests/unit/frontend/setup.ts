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
}));

// jsdom has no ResizeObserver; ui-svelte's floating tooltips (via @floating-ui) expect one.
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
