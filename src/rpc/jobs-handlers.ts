/**
 * The jobs room of the bridge: the webview lists, reads, follows and cancels every kind of long
 * work through these four calls. Arguments are checked here; the registry does the rest. An image
 * job reaches the page with its whole image operation as `detail`, as the image pages read it.
 */

import type { Job, JobLogChunk, JobsApi } from '../api/jobs';
import { withOperationDetail } from '../images/image-operations';
import type { JobRegistry } from '../jobs/job-registry';
import { checkId, checkLogIndex, checkTitle } from './argument-checks';

export class JobsHandlers implements JobsApi {
  constructor(private readonly jobs: JobRegistry) {}

  async listJobs(kind?: unknown): Promise<Job[]> {
    const wanted = kind === undefined || kind === null ? undefined : checkTitle('kind', kind);
    return (await this.jobs.list(wanted)).map(withOperationDetail);
  }

  async getJob(jobId: unknown): Promise<Job> {
    return withOperationDetail(await this.jobs.get(checkId('jobId', jobId)));
  }

  async readJobLog(jobId: unknown, from: unknown): Promise<JobLogChunk> {
    return this.jobs.readLog(checkId('jobId', jobId), checkLogIndex('from', from));
  }

  async cancelJob(jobId: unknown): Promise<void> {
    await this.jobs.cancel(checkId('jobId', jobId));
  }
}
