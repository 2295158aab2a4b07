import type { Build, Job, ParamDefinition } from './model';

/*
 * The stages of a pipeline build, derived from its record (start on an
 * agent, planned work, result, input decision) the way its log is: nothing
 * is stored, so a stage's status and times are what the clock says.
 */

/** An `input` step: the build waits at it until someone proceeds or aborts. */
export interface InputPlan {
  /** InputStep id; Jenkins capitalises it (`Deploy`). */
  id: string;
  message: string;
  /** Caption of the proceed button. */
  ok: string;
  params: ParamDefinition[];
}

/** One stage of a job's pipeline: a share of the work, parallel branches, or an input. */
export interface StagePlan {
  name: string;
  /** Share of the build's work (the shares of a plan add up to 1). */
  share: number;
  /** Branches run side by side, each for its share of this stage. */
  parallel?: Array<{ name: string; share: number }>;
  input?: InputPlan;
}

/** Stage View statuses (StatusExt). */
export type StageStatus =
  | 'NOT_EXECUTED'
  | 'ABORTED'
  | 'SUCCESS'
  | 'IN_PROGRESS'
  | 'PAUSED_PENDING_INPUT'
  | 'FAILED'
  | 'UNSTABLE';

export interface StageRun {
  /** Flow node id of the stage's start node. */
  id: string;
  name: string;
  status: StageStatus;
  startTimeMillis: number;
  durationMillis: number;
  pauseDurationMillis: number;
  /** The stage this one is a parallel branch of. */
  parentId?: string;
  /** The step node that writes the stage's log. */
  step: { id: string; name: string; description: string };
  input?: InputPlan;
  /** The stage's log as visible now. */
  log: string[];
}

/** The input plan of a job's pipeline, if it has one. */
export function inputOf(job: Job): InputPlan | undefined {
  return job.profile.stages?.find(s => s.input)?.input;
}

/** The plan every pipeline without its own follows: the checkout, then the work (as its log says). */
function planOf(job: Job): StagePlan[] {
  return (
    job.profile.stages ?? [
      { name: 'Checkout', share: 0.1 },
      { name: `Run ${job.name}`, share: 0.9 },
    ]
  );
}

/** Work done before the input step, in ms (the whole work when there is none). */
export function workBeforeInput(build: Build): number {
  const plan = planOf(build.job);
  const index = plan.findIndex(s => s.input);
  if (index < 0 || !Number.isFinite(build.workMs)) return build.workMs;
  return plan.slice(0, index).reduce((ms, s) => ms + s.share * build.workMs, 0);
}

/** Whether the build stands at its input step, waiting for a person, at `now`. */
export function waitsForInput(build: Build, now: number): boolean {
  if (build.result !== null || build.agentAt === null || !inputOf(build.job)) return false;
  if (build.inputDecision) return false;
  return build.agentAt + workBeforeInput(build) <= now;
}

/**
 * The stages of a pipeline build at `now`: done ones with their times,
 * the running one, the rest not yet in the list (as Stage View shows
 * them). Node ids follow Jenkins' numbering: each stage and its step.
 */
export function stagesOf(build: Build, now: number): StageRun[] {
  if (build.job.kind !== 'pipeline' || build.agentAt === null) return [];
  const plan = planOf(build.job);
  const end = build.completedAt ?? Infinity;
  const decision = build.inputDecision;
  const out: StageRun[] = [];
  let at = build.agentAt;
  let nextId = 6;
  for (const stage of plan) {
    if (at > Math.min(now, end)) break;
    const id = String(nextId);
    nextId += 2 + (stage.parallel?.length ?? 0) * 2;
    if (stage.input) {
      const waitedUntil = decision?.at ?? Math.min(now, end);
      const pause = Math.max(0, waitedUntil - at);
      const status = inputStatus(build);
      out.push({
        id,
        name: stage.name,
        status,
        startTimeMillis: at,
        durationMillis: pause,
        pauseDurationMillis: pause,
        step: {
          id: String(Number(id) + 1),
          name: 'Wait for interactive input',
          description: stage.input.message,
        },
        input: stage.input,
        log: [
          stage.input.message,
          `${stage.input.ok} or Abort`,
          ...(decision
            ? [decision.kind === 'proceed' ? `Approved by ${decision.by}` : `Rejected by ${decision.by}`]
            : []),
        ],
      });
      // Nothing runs past an input nobody proceeded.
      if (decision?.kind !== 'proceed') break;
      at = waitedUntil;
      continue;
    }
    const length = stage.share * build.workMs;
    const stageEnd = at + length;
    const last = stage === plan[plan.length - 1] || stageEnd >= end - 1;
    const span = { build, now, end, last };
    out.push(stageRun(span, { from: at, ms: length, name: stage.name, id }));
    const branches = stage.parallel ?? [];
    for (const [i, branch] of branches.entries()) {
      const run = stageRun(span, {
        from: at,
        ms: branch.share * build.workMs,
        name: branch.name,
        id: String(Number(id) + 2 + i * 2),
        parentId: id,
      });
      // A failing build fails in its last branch, the others pass.
      if (run.status === 'FAILED' && i < branches.length - 1) run.status = 'SUCCESS';
      out.push(run);
    }
    at = stageEnd;
  }
  return out;
}

/** An input stage: waiting, proceeded, or aborted (by a person or with the build). */
function inputStatus(build: Build): StageStatus {
  const decision = build.inputDecision;
  if (decision) return decision.kind === 'proceed' ? 'SUCCESS' : 'ABORTED';
  return build.result === null ? 'PAUSED_PENDING_INPUT' : 'ABORTED';
}

/**
 * A stage (or branch) of `ms` from `from`, as visible at `now`: a build
 * ending ends its last stage with its result; an aborted build aborts
 * what was running.
 */
function stageRun(
  span: { build: Build; now: number; end: number; last: boolean },
  stage: { from: number; ms: number; name: string; id: string; parentId?: string },
): StageRun {
  const { build, now, end, last } = span;
  const { from, ms, name } = stage;
  const until = Math.min(from + ms, now, end);
  const finished = from + ms <= Math.min(now, end) && !(last && build.result === null);
  let status: StageStatus;
  if (build.result === 'ABORTED' && !finished) status = 'ABORTED';
  else if (!finished) status = build.result === null ? 'IN_PROGRESS' : statusOfResult(build);
  else status = last && build.result !== null ? statusOfResult(build) : 'SUCCESS';
  return {
    id: stage.id,
    name,
    status,
    startTimeMillis: from,
    durationMillis: Math.max(0, Math.round(until - from)),
    pauseDurationMillis: 0,
    parentId: stage.parentId,
    step: { id: String(Number(stage.id) + 1), name: 'Shell Script', description: `./bin/${slug(name)}` },
    log: stageLog(build, name, status),
  };
}

function statusOfResult(build: Build): StageStatus {
  switch (build.result ?? build.plannedResult) {
    case 'FAILURE':
      return 'FAILED';
    case 'UNSTABLE':
      return 'UNSTABLE';
    case 'ABORTED':
      return 'ABORTED';
    default:
      return 'SUCCESS';
  }
}

/** The run's status as Stage View shows it. */
export function runStatus(build: Build, now: number): StageStatus {
  if (waitsForInput(build, now)) return 'PAUSED_PENDING_INPUT';
  if (build.result === null) return 'IN_PROGRESS';
  return statusOfResult(build);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function stageLog(build: Build, stage: string, status: StageStatus): string[] {
  const lines = [`+ ./bin/${slug(stage)} ${build.job.name} #${build.number}`];
  if (status === 'IN_PROGRESS') return [...lines, `${stage}: running`];
  if (status === 'FAILED') {
    return [...lines, `${stage}: ERROR step failed`, 'script returned exit code 1'];
  }
  if (status === 'UNSTABLE') return [...lines, `${stage}: WARN records rejected, see rejected.csv`];
  if (status === 'ABORTED') return [...lines, 'Sending interrupt signal to process'];
  return [...lines, `${stage}: done`];
}
