import type { ApprovalAction } from '@batch-jobs/plugin-batch-jobs-common';
import {
  ApprovalExecutor,
  ApprovalGate,
} from '../services/approvals/ApprovalGate';
import { PauseJob } from '../services/actions/PauseJob';
import { Rerun } from '../services/actions/Rerun';
import { RunJob } from '../services/actions/RunJob';
import { AgentLauncher } from '../services/fleet/AgentLauncher';
import { AgentTerminator } from '../services/fleet/AgentTerminator';
import { FleetRefresher } from '../services/fleet/FleetRefresher';
import { JobConfigHistory } from '../services/jobs/JobConfigHistory';
import { JobWriter } from '../services/jobs/JobWriter';
import { RoutineRunner } from '../routines/RoutineRunner';
import { WorkerRedeployer } from '../services/workers/WorkerRedeployer';

/**
 * Approved requests are executed by their requester, with the requester's
 * own credentials: each action authorizes again, checks the pinned hash and
 * records the approver. Payloads were written by the action that held them.
 * One executor per gated action: a new action without one does not compile.
 */
export function registerApprovalExecutors(
  gate: ApprovalGate,
  actions: {
    rerun: Rerun;
    runJob: RunJob;
    pauseJob: PauseJob;
    launcher: AgentLauncher;
    terminator: AgentTerminator;
    redeployer: WorkerRedeployer;
    refresher: FleetRefresher;
    writer: JobWriter;
    history: JobConfigHistory;
    routines: RoutineRunner;
  },
) {
  const { rerun, runJob, pauseJob, launcher, terminator } = actions;
  const { redeployer, refresher, writer, history, routines } = actions;
  const write: ApprovalExecutor = (request, approval, context) => {
    const { mode, ...input } = request.payload as any;
    return writer.write(input, { ...context, approval }, mode);
  };
  const executors: Record<ApprovalAction, ApprovalExecutor> = {
    'build.rerun': (request, approval, context) =>
      rerun.rerun(request.payload as any, { ...context, approval }),
    'job.run': (request, approval, context) =>
      runJob.run(request.payload as any, { ...context, approval }),
    'job.pause': (request, approval, context) => {
      const { until, ...rest } = request.payload as any;
      return pauseJob.pause(
        { ...rest, until: until ?? undefined },
        { ...context, approval },
      );
    },
    'job.resume': (request, approval, context) =>
      pauseJob.resume(request.payload as any, { ...context, approval }),
    'agent.launch': (request, approval, context) => {
      const { vpc, type, reason } = request.payload as any;
      return launcher.launch(
        { vpc, type, reason: reason ?? undefined },
        { ...context, approval },
      );
    },
    'agent.terminate': (request, approval, context) => {
      const { vpc, node, force, reason } = request.payload as any;
      return terminator.terminate(
        { vpc, node, force, reason: reason ?? undefined },
        { ...context, approval },
      );
    },
    'workers.redeploy': (request, approval, context) => {
      const { vpc, jobs } = request.payload as any;
      return redeployer.redeploy(vpc, { jobs }, { ...context, approval });
    },
    'fleet.refresh': (request, approval, context) => {
      const { vpc, reason, ...settings } = request.payload as any;
      return refresher.start(
        vpc,
        { ...settings, reason: reason ?? undefined },
        { ...context, approval },
      );
    },
    'job.restore': (request, approval, context) => {
      const { vpc, job, versionId, entityRef } = request.payload as any;
      return history.restore(
        { vpc, job, versionId, entityRef: entityRef ?? undefined },
        { ...context, approval },
      );
    },
    'job.promote': (request, approval, context) =>
      writer.promote(request.payload as any, { ...context, approval }),
    'job.create': write,
    'job.update': write,
    'routine.run': (request, approval, context) => {
      const { routine, dryRun } = request.payload as any;
      return routines.runNow(routine, { dryRun }, { ...context, approval });
    },
  };
  for (const [action, execute] of Object.entries(executors)) {
    gate.register(action as ApprovalAction, execute);
  }
}
