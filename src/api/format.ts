/**
 * Human-readable figures, shared by the webview and the CLI so both say the same thing. Units
 * follow Podman Desktop: decimal sizes, largest-unit ages.
 */

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** `1_234_000_000` → `"1.2 GB"` (decimal units, at most one decimal, trailing `.0` dropped). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown';
  let unit = 0;
  let value = bytes;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let rounded = unit === 0 ? Math.round(value) : Math.round(value * 10) / 10;
  // 999.96 kB rounds to 1000 kB: say 1 MB instead.
  if (rounded >= 1000 && unit > 0 && unit < SIZE_UNITS.length - 1) {
    rounded = Math.round(rounded / 100) / 10;
    unit++;
  }
  return `${rounded} ${SIZE_UNITS[unit]}`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const AGE_UNITS: readonly (readonly [string, number])[] = [
  ['year', 365 * DAY],
  ['month', 30 * DAY],
  ['day', DAY],
  ['hour', HOUR],
  ['minute', MINUTE],
  ['second', SECOND],
];

/** Time since `created` (ms since the epoch) in its largest whole unit: `"5 minutes"`, `"3 days"`. */
export function formatAge(created: number, now: number = Date.now()): string {
  if (!Number.isFinite(created) || created <= 0) return 'unknown';
  const elapsed = Math.max(0, now - created);
  for (const [unit, ms] of AGE_UNITS) {
    const count = Math.floor(elapsed / ms);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'}`;
  }
  return 'just now';
}

/** When, said as podman says it: "5 minutes ago", "just now", "unknown". */
export function formatAgo(created: number, now: number = Date.now()): string {
  const age = formatAge(created, now);
  return age === 'just now' || age === 'unknown' ? age : `${age} ago`;
}

/** `sha256:0123456789abcdef…` → `0123456789ab`, the short id engines print. */
export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
