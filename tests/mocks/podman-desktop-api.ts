// `@podman-desktop/api` ships types only; Podman Desktop injects the implementation at runtime.
// Unit tests replace this module with vi.mock factories; this file only makes the import resolve.
export {};
