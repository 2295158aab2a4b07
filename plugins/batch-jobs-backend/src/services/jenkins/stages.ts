import type {
  BuildStage,
  InputParameter,
  PendingInput,
  StageStatus,
} from '@batch-jobs/plugin-batch-jobs-common';

/*
 * The Pipeline Stage View REST API (`wfapi`) as the portal reads it. Stage
 * View lists every stage of a run flat, parallel branches (declarative
 * `parallel { stage … }`) after the stage that holds them; a branch runs
 * inside its parent's time window, which is how they are grouped here.
 */

/** A link of `_links`. @internal */
export interface RawLink {
  href?: string;
}

/** StageNodeExt / FlowNodeExt as `wfapi` exports it. @internal */
export interface RawStageNode {
  _links?: { self?: RawLink; log?: RawLink };
  id?: string;
  name?: string;
  status?: string;
  startTimeMillis?: number;
  durationMillis?: number;
  pauseDurationMillis?: number;
  parameterDescription?: string;
  parentNodes?: string[];
  stageFlowNodes?: RawStageNode[];
}

/** RunExt: `…/<n>/wfapi/describe`. @internal */
export interface RawRun extends RawStageNode {
  _links?: RawStageNode['_links'] & { pendingInputActions?: RawLink };
  endTimeMillis?: number;
  queueDurationMillis?: number;
  stages?: RawStageNode[];
}

/** FlowNodeLogExt: `…/execution/node/<id>/wfapi/log`. @internal */
export interface RawNodeLog {
  nodeId?: string;
  nodeStatus?: string;
  length?: number;
  hasMore?: boolean;
  text?: string;
}

/** InputActionExt: an element of `…/wfapi/pendingInputActions`. @internal */
export interface RawPendingInput {
  id?: string;
  proceedText?: string;
  message?: string;
  inputs?: Array<{
    type?: string;
    name?: string;
    description?: string;
    definition?: { defaultVal?: unknown; choices?: unknown };
  }>;
}

const STATUSES: Record<string, StageStatus> = {
  SUCCESS: 'success',
  FAILED: 'failed',
  UNSTABLE: 'unstable',
  ABORTED: 'aborted',
  IN_PROGRESS: 'in_progress',
  PAUSED_PENDING_INPUT: 'paused_pending_input',
  NOT_EXECUTED: 'not_executed',
};

/** Stage View's status word as ours. @internal */
export function mapStageStatus(status: string | undefined): StageStatus {
  return (status && STATUSES[status]) || 'unknown';
}

function mapStage(raw: RawStageNode): BuildStage {
  const start = raw.startTimeMillis ?? 0;
  return {
    id: String(raw.id ?? ''),
    name: raw.name ?? '',
    status: mapStageStatus(raw.status),
    // NOT_EXECUTED stages (a checkpoint's skipped ones) carry 0.
    startedAt: start > 0 ? new Date(start).toISOString() : null,
    durationMs: raw.durationMillis ?? 0,
    pauseDurationMs: raw.pauseDurationMillis ?? 0,
  };
}

/** Whether `inner` ran inside `outer`'s time window (a branch of it). */
function within(inner: RawStageNode, outer: RawStageNode): boolean {
  const start = inner.startTimeMillis ?? 0;
  const outerStart = outer.startTimeMillis ?? 0;
  if (start <= 0 || outerStart <= 0) return false;
  const end = start + (inner.durationMillis ?? 0);
  const outerEnd = outerStart + (outer.durationMillis ?? 0);
  return start >= outerStart && end <= outerEnd && start < outerEnd;
}

/**
 * A run's stages, the parallel branches grouped under the stage that holds
 * them: a stage that starts inside the previous top-level stage's window
 * (and ends in it) is one of its branches; a sequential stage starts only
 * once the previous one has ended.
 * @internal
 */
export function groupStages(raw: RawStageNode[] | undefined): BuildStage[] {
  const top: Array<{ raw: RawStageNode; stage: BuildStage }> = [];
  for (const node of raw ?? []) {
    const parent = top[top.length - 1];
    if (parent && within(node, parent.raw)) {
      (parent.stage.branches ??= []).push(mapStage(node));
    } else {
      top.push({ raw: node, stage: mapStage(node) });
    }
  }
  return top.map(t => t.stage);
}

const WENT_WRONG = new Set<StageStatus>(['failed', 'unstable']);

/**
 * Where a run went wrong: the first failed stage (a branch rather than the
 * stage holding it), else the first unstable one.
 * @internal
 */
export function findFailedStage(
  stages: BuildStage[],
): { id: string; name: string; status: StageStatus } | undefined {
  for (const wanted of ['failed', 'unstable'] as StageStatus[]) {
    for (const stage of stages) {
      const branch = stage.branches?.find(b => b.status === wanted);
      if (branch) return pick(branch);
      if (stage.status === wanted) return pick(stage);
    }
  }
  return undefined;
}

function pick(stage: BuildStage) {
  return { id: stage.id, name: stage.name, status: stage.status };
}

/** Whether a stage's status says something went wrong. @internal */
export function wentWrong(status: StageStatus): boolean {
  return WENT_WRONG.has(status);
}

const PARAMETER_TYPES: Record<string, InputParameter['type']> = {
  StringParameterDefinition: 'string',
  TextParameterDefinition: 'text',
  BooleanParameterDefinition: 'boolean',
  ChoiceParameterDefinition: 'choice',
  PasswordParameterDefinition: 'password',
};

/** `wfapi/pendingInputActions` as ours; a password's default never leaves the backend. @internal */
export function mapPendingInputs(
  raw: RawPendingInput[] | undefined,
): PendingInput[] {
  return (Array.isArray(raw) ? raw : []).map(input => ({
    id: String(input.id ?? ''),
    message: input.message ?? '',
    proceedText: input.proceedText ?? 'Proceed',
    parameters: (input.inputs ?? []).map(p => {
      const type = PARAMETER_TYPES[p.type ?? ''] ?? 'other';
      const parameter: InputParameter = { name: p.name ?? '', type };
      if (p.description) parameter.description = p.description;
      const defaultVal = p.definition?.defaultVal;
      if (
        type !== 'password' &&
        (typeof defaultVal === 'string' || typeof defaultVal === 'boolean')
      ) {
        parameter.default = defaultVal;
      }
      const choices = p.definition?.choices;
      if (Array.isArray(choices)) parameter.choices = choices.map(String);
      return parameter;
    }),
  }));
}

/** Stage View's log text is HTML: tags out, entities back to characters. @internal */
export function plainLogText(html: string | undefined): string {
  return (html ?? '')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
