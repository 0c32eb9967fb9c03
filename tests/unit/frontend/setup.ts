import '@testing-library/jest-dom/vitest';

// jsdom has no ResizeObserver; ui-svelte's floating tooltips (via @floating-ui) expect one.
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
