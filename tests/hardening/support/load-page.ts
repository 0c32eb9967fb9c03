/// <reference lib="dom" />
/**
 * What the load spec reads on the page and in the store to say "the page shows the current state":
 * the rows of the Disk Images and Virtual Machines pages, read in one go each, compared with the
 * records on disk at that moment. The answer is a list of differences, empty when they agree.
 */

import type { FrameLocator } from 'playwright-core';

import type { DiskBuildRecord } from '../../../src/api/disk-builds';
import { FINISHED_STATUSES } from '../../../src/api/disk-builds';
import type { VmRecord } from '../../../src/api/vms';
import { STATUS_LABELS } from '../../../frontend/lib/disk-builds';

export interface PageRow {
  /** The row's aria-label (`VM name`, or `image types`). */
  label: string;
  /** The text of its Status / State cell. */
  status: string;
  text: string;
}

/** The rows of the table `tableLabel` as the page shows them now ([] while it is not shown). */
export async function pageRows(webview: FrameLocator, tableLabel: string, statusLabel: string): Promise<PageRow[]> {
  return webview.locator(`table[aria-label="${tableLabel}"] tbody tr[aria-label]`).evaluateAll(
    (rows, status) =>
      rows.map(row => ({
        label: row.getAttribute('aria-label') ?? '',
        status: row.querySelector(`[aria-label="${status}"]`)?.textContent?.trim() ?? '',
        text: row.textContent ?? '',
      })),
    statusLabel,
  );
}

/**
 * Differences between the Disk Images rows and the build records: every record shown once (by its
 * output folder, unique per build here), no row of no record, and a finished build shown with its
 * final status (a running one moves on between the two reads, so only its presence is compared).
 */
export function buildDifferences(rows: PageRow[], records: DiskBuildRecord[]): string[] {
  const problems: string[] = [];
  if (rows.length !== records.length) problems.push(`${rows.length} rows for ${records.length} builds`);
  for (const record of records) {
    const shown = rows.filter(row => row.text.includes(record.request.outputDir));
    if (shown.length !== 1) {
      problems.push(`build ${record.id} (${record.request.outputDir}) shown ${shown.length} times`);
      continue;
    }
    if (FINISHED_STATUSES.includes(record.status) && shown[0].status !== STATUS_LABELS[record.status]) {
      problems.push(`build ${record.id} shown as "${shown[0].status}", its record says ${record.status}`);
    }
  }
  return problems;
}

/** Differences between the Virtual Machines rows and the VM records: each shown once, in its state. */
export function vmDifferences(rows: PageRow[], records: Pick<VmRecord, 'id' | 'name' | 'state'>[]): string[] {
  const problems: string[] = [];
  if (rows.length !== records.length) problems.push(`${rows.length} rows for ${records.length} VMs`);
  for (const record of records) {
    const shown = rows.filter(row => row.label === `VM ${record.name}`);
    if (shown.length !== 1) {
      problems.push(`VM ${record.name} shown ${shown.length} times`);
      continue;
    }
    const label = record.state.charAt(0).toUpperCase() + record.state.slice(1);
    if (shown[0].status !== label)
      problems.push(`VM ${record.name} shown as "${shown[0].status}", its record says ${record.state}`);
  }
  return problems;
}
