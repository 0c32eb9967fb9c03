import { builderImageOf } from '../../src/api/disk-build';
import type {
  DiskBuildArtifact,
  DiskBuildDeleteResult,
  DiskBuildRecord,
  DiskBuildStatus,
} from '../../src/api/disk-builds';
import { formatBytes } from '../../src/api/format';
import { FINISHED_STATUSES } from '../../src/api/disk-builds';

/** How the pages name a build's status. */
export const STATUS_LABELS: Record<DiskBuildStatus, string> = {
  queued: 'Queued',
  preparing: 'Preparing',
  building: 'Building',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  lost: 'Lost',
};

export const STATUS_COLOURS: Record<DiskBuildStatus, string> = {
  queued: 'text-[var(--pd-state-info)]',
  preparing: 'text-[var(--pd-state-info)]',
  building: 'text-[var(--pd-state-info)]',
  succeeded: 'text-[var(--pd-state-success)]',
  failed: 'text-[var(--pd-state-error)]',
  cancelled: 'text-[var(--pd-state-warning)]',
  lost: 'text-[var(--pd-state-warning)]',
};

/** Whether the build may still change (and may be cancelled). */
export function isRunning(record: DiskBuildRecord): boolean {
  return !FINISHED_STATUSES.includes(record.status);
}

/** `Building 42%` while the builder reports progress, else the status's name. */
export function statusText(record: DiskBuildRecord): string {
  const label = STATUS_LABELS[record.status];
  return record.status === 'building' && record.percent !== undefined
    ? `${label} ${Math.round(record.percent)}%`
    : label;
}

/** Milliseconds the build has run (or ran), from its start (or creation) to its end (or now). */
export function buildDuration(record: DiskBuildRecord, now: number): number | undefined {
  const start = record.started ?? (record.status === 'queued' ? undefined : record.created);
  if (start === undefined) return undefined;
  return Math.max(0, (record.ended ?? now) - start);
}

/** `45 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The output folder, and where it is when the engine runs on another machine. */
export function folderText(record: DiskBuildRecord): string {
  return record.remote ? `${record.request.outputDir} on ${record.engineName}` : record.request.outputDir;
}

/** Whether a build matches the search box: id, image, types, arch, folder, engine, builder or status. */
export function matchesBuildSearch(record: DiskBuildRecord, term: string): boolean {
  const needle = term.trim().toLowerCase();
  if (!needle) return true;
  return [
    record.id,
    record.request.image,
    ...record.request.types,
    record.request.arch,
    record.request.outputDir,
    record.engineName,
    record.builderImage || builderImageOf(record.request.builder),
    STATUS_LABELS[record.status],
  ].some(field => field.toLowerCase().includes(needle));
}

/** Newest first, whatever order the backend answered in. */
export function compareBuilds(a: DiskBuildRecord, b: DiskBuildRecord): number {
  return b.created - a.created || a.id.localeCompare(b.id);
}

/** What the Files table says of an artifact: its size, or that it is gone or another file now. */
export function artifactText(artifact: DiskBuildArtifact, running: boolean): string {
  if (artifact.state === 'missing') return 'Missing (removed outside Bootc Studio)';
  if (artifact.state === 'replaced') {
    return artifact.replacedBy ? `Replaced by build ${artifact.replacedBy}` : 'Replaced (another file is there now)';
  }
  if (artifact.size === undefined) return running ? 'not written yet' : 'not written';
  return formatBytes(artifact.size);
}

/** `1 file missing, 1 replaced by build 1a2b…` for a build whose files changed since it ended; else empty. */
export function filesNote(record: DiskBuildRecord): string {
  const missing = record.artifacts.filter(artifact => artifact.state === 'missing').length;
  const replaced = record.artifacts.filter(artifact => artifact.state === 'replaced');
  const by = [...new Set(replaced.map(artifact => artifact.replacedBy).filter(Boolean))];
  const parts = [
    missing ? `${missing} file${missing === 1 ? '' : 's'} missing` : '',
    replaced.length ? `${replaced.length} replaced${by.length ? ` by build ${by.join(', ')}` : ''}` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** The files a delete (without "Keep the files") removes: the artifacts still the build's own, and its log. */
export function filesToDelete(record: DiskBuildRecord): string[] {
  if (record.remote) return [];
  const own = record.artifacts.filter(artifact => artifact.state !== 'missing' && artifact.state !== 'replaced');
  return [...own.map(artifact => artifact.path), ...(record.logPresent === false ? [] : [record.logPath])];
}

/** What to tell after a delete that left files (replaced since the build wrote them); undefined when none. */
export function deleteNoticeText(id: string, result: DiskBuildDeleteResult | undefined): string | undefined {
  if (!result || result.kept.length === 0) return undefined;
  const kept = result.kept.map(file => `${file.path} (${file.reason})`).join('; ');
  return `Deleted build ${id}, and left ${result.kept.length === 1 ? 'a file that is' : 'files that are'} no longer its own: ${kept}`;
}
