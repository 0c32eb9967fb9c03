/** Class lists the disk-build form and its editors share, in Podman Desktop's colours. */
export const LABEL = 'mb-1 block font-semibold text-[var(--pd-content-card-header-text)]';
export const SMALL_LABEL = 'mb-0.5 block text-sm text-[var(--pd-content-card-text)]';
export const NOTE = 'text-sm text-[var(--pd-content-text)]';
export const CARD = 'w-full space-y-5 rounded-lg bg-[var(--pd-content-card-bg)] p-6 text-[var(--pd-content-card-text)]';
export const ROW_BOX = 'space-y-2 rounded-md border border-[var(--pd-content-divider)] p-3';
export const TEXTAREA =
  'w-full rounded-sm border border-transparent border-b-[var(--pd-input-field-stroke)] bg-[var(--pd-input-field-bg)] p-2 font-mono text-sm text-[color:var(--pd-input-field-focused-text)] outline-0 focus:rounded-md focus:border-[var(--pd-input-field-hover-stroke)] focus:bg-[var(--pd-input-field-focused-bg)]';
export const TEXTAREA_ERROR = 'border-b-[var(--pd-input-field-stroke-error)]';
export const FIELD_ERROR = 'text-sm text-[color:var(--pd-input-field-error-text)]';
export const WARNING = 'text-[var(--pd-state-warning)]';
export const CODE_BLOCK =
  'overflow-auto rounded-md bg-[var(--pd-details-empty-cmdline-bg)] p-3 font-mono text-sm whitespace-pre text-[var(--pd-details-empty-cmdline-text)]';
export const SMALL_BUTTON =
  'rounded-sm px-1.5 text-sm text-[var(--pd-link)] hover:bg-[var(--pd-link-hover-bg)] focus-visible:outline-2 focus-visible:outline-[var(--pd-button-focus-ring)]';
/** A native radio or checkbox in PD's accent colour (ui-svelte has no radio button). */
export const RADIO =
  'accent-[var(--pd-input-checkbox-checked)] focus-visible:outline-2 focus-visible:outline-[var(--pd-button-focus-ring)]';
