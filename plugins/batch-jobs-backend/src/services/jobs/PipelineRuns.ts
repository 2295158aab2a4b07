import { NotFoundError } from '@backstage/errors';
import {
  BuildStagesResponse,
  PendingInput,
  StageLogResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import {
  findFailedStage,
  groupStages,
  mapPendingInputs,
  mapStageStatus,
  plainLogText,
  RawRun,
} from '../jenkins/stages';

/** Most step logs one stage's log is assembled from. */
const MAX_STEP_LOGS = 50;

/**
 * Reads pipeline builds through the Stage View REST API: their stages
 * (parallel branches grouped), the stage that failed, a stage's log and
 * the inputs a build waits at. Callers check read access first.
 * @public
 */
export class PipelineRuns {
  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
    },
  ) {}

  private target(vpcName: string, job: string) {
    const { vpc, fullName } = this.options.directory.resolveJob(vpcName, job);
    return { vpc, fullName, client: this.options.clients.get(vpc.jenkins)! };
  }

  /** The run's stages, or `pipeline: false` for a build without any (freestyle). */
  async stages(request: {
    vpc: string;
    job: string;
    number: number;
  }): Promise<BuildStagesResponse> {
    const { vpc, fullName, client } = this.target(request.vpc, request.job);
    const base = { vpc: vpc.name, job: fullName, number: request.number };
    const run = await this.describe(client, fullName, request.number);
    if (!run) {
      return {
        ...base,
        pipeline: false,
        status: null,
        stages: [],
        pendingInputs: [],
      };
    }
    const stages = groupStages(run.stages);
    const status = mapStageStatus(run.status);
    const failedStage = findFailedStage(stages);
    return {
      ...base,
      pipeline: true,
      status,
      stages,
      ...(failedStage ? { failedStage } : {}),
      pendingInputs: await this.inputsOf(client, fullName, request.number, run),
    };
  }

  /** What a jobs list shows beside a pipeline's last build: where it failed, what it waits for. */
  async notesFor(
    client: JenkinsClient,
    fullName: string,
    number: number,
  ): Promise<{ failedStage?: string; waitingForInput?: string }> {
    const run = await this.describe(client, fullName, number);
    if (!run) return {};
    const failed = findFailedStage(groupStages(run.stages));
    const [input] = await this.inputsOf(client, fullName, number, run);
    return {
      ...(failed ? { failedStage: failed.name } : {}),
      ...(input ? { waitingForInput: input.message } : {}),
    };
  }

  /** One stage's log: the logs of its steps, in order, as plain text. */
  async stageLog(request: {
    vpc: string;
    job: string;
    number: number;
    stage: string;
  }): Promise<StageLogResponse> {
    const { fullName, client } = this.target(request.vpc, request.job);
    const stage = await client.describeStage(
      fullName,
      request.number,
      request.stage,
    );
    const steps = (stage.stageFlowNodes ?? [])
      .filter(node => node._links?.log?.href && node.id)
      .slice(0, MAX_STEP_LOGS);
    const logs = await Promise.all(
      steps.map(node =>
        client.nodeLog(fullName, request.number, String(node.id)),
      ),
    );
    return {
      id: String(stage.id ?? request.stage),
      name: stage.name ?? '',
      status: mapStageStatus(stage.status),
      text: logs.map(log => plainLogText(log.text)).join(''),
      hasMore: logs.some(log => log.hasMore === true),
    };
  }

  /** The inputs a build waits at (none unless it is paused at one). */
  async pendingInputs(
    client: JenkinsClient,
    fullName: string,
    number: number,
  ): Promise<PendingInput[]> {
    return mapPendingInputs(await client.pendingInputs(fullName, number));
  }

  private async inputsOf(
    client: JenkinsClient,
    fullName: string,
    number: number,
    run: RawRun,
  ): Promise<PendingInput[]> {
    const paused =
      run.status === 'PAUSED_PENDING_INPUT' ||
      Boolean(run._links?.pendingInputActions);
    return paused ? this.pendingInputs(client, fullName, number) : [];
  }

  /** `wfapi/describe`, or undefined for an existing build that is no pipeline run. */
  private async describe(
    client: JenkinsClient,
    fullName: string,
    number: number,
  ): Promise<RawRun | undefined> {
    try {
      return await client.describeRun(fullName, number);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      // Freestyle builds have no wfapi; a missing build stays a 404.
      await client.getBuild(fullName, number);
      return undefined;
    }
  }
}
