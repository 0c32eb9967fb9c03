/**
 * What a followed job's `--json` output holds: JSON lines, the last one the end event whose
 * `job.detail` is the final record. Throws (failing the test) when a line is not JSON or the last
 * one is not the end.
 */
export function finalRecord<T>(stdout: string): T {
  const events = stdout
    .trimEnd()
    .split('\n')
    .map(line => JSON.parse(line) as { type: string; job?: { detail: unknown } });
  const end = events.at(-1);
  if (end?.type !== 'end' || !end.job) throw new Error(`the --json output does not end with the job's end: ${stdout}`);
  return end.job.detail as T;
}
