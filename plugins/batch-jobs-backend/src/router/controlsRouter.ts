import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { isApprovalPending } from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { PauseJob } from '../services/actions/PauseJob';
import { JobReadAccess } from '../services/actions/readAccess';
import { RunJob } from '../services/actions/RunJob';
import { StopBuild } from '../services/actions/StopBuild';
import { jobParam, parse, positiveInt, vpcParam } from './validation';

const parametersQuery = z.object({
  vpc: vpcParam,
  job: jobParam,
  fromBuild: positiveInt.optional(),
});

const vpc = z.string().min(1).max(100);
const job = z.string().min(1).max(1000);
const entityRef = z.string().min(1).max(500).optional();

const runBody = z.object({
  vpc,
  job,
  // Values are checked against the job's definitions by RunJob.
  parameters: z
    .record(z.union([z.string().max(100_000), z.boolean()]))
    .default({}),
  entityRef,
});

const stopBody = z.object({
  vpc,
  job,
  number: z.number().int().positive().optional(),
  queueItemId: z.number().int().positive().optional(),
  entityRef,
});

const pauseBody = z.object({
  vpc,
  job,
  reason: z.string().max(2000),
  until: z.string().max(100).optional(),
  entityRef,
});

const resumeBody = z.object({
  vpc,
  job,
  reason: z.string().max(2000).optional(),
  entityRef,
});

/**
 * Operator controls: run now with parameters, stop a build, pause and
 * resume a job. Every action is audited by its service.
 *
 * - `GET /jobs/parameters?vpc=&job=[&fromBuild=n]` → JobParametersResponse
 * - `POST /jobs/run` (Idempotency-Key) → 202 RunJobResponse; follow `GET /queue`
 * - `POST /builds/stop` → 200 StopBuildResponse once the build has ended
 *   (stop, then term/kill after `batchJobs.stop.escalateAfterSeconds`), or
 *   the queue item is cancelled
 * - `POST /jobs/disable`, `POST /jobs/enable` → 200 PauseJobResponse
 */
export function createControlsRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  runJob: RunJob;
  stopBuild: StopBuild;
  pauseJob: PauseJob;
  readAccess: JobReadAccess;
}) {
  const { httpAuth, userInfo, runJob, stopBuild, pauseJob } = options;
  const { readAccess } = options;
  const router = Router();

  const userContext = async (
    req: Parameters<typeof httpAuth.credentials>[0],
  ) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  router.get('/jobs/parameters', async (req, res) => {
    const query = parse(parametersQuery, req.query, 'parameters query');
    const credentials = await httpAuth.credentials(req);
    await readAccess.readableJob(query.vpc, query.job, credentials);
    res.json(await runJob.parameters(query));
  });

  router.post('/jobs/run', async (req, res) => {
    const body = parse(runBody, req.body, 'run request');
    const context = await userContext(req);
    const response = await runJob.run(body, {
      ...context,
      idempotencyKey: req.header('Idempotency-Key'),
    });
    res.status(202).json(response);
  });

  router.post('/builds/stop', async (req, res) => {
    const body = parse(stopBody, req.body, 'stop request');
    const context = await userContext(req);
    res.json(await stopBuild.stop(body, context));
  });

  router.post('/jobs/disable', async (req, res) => {
    const body = parse(pauseBody, req.body, 'pause request');
    const context = await userContext(req);
    const response = await pauseJob.pause(body, context);
    // Held for a second person: 202 with the approval request.
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  router.post('/jobs/enable', async (req, res) => {
    const body = parse(resumeBody, req.body, 'resume request');
    const context = await userContext(req);
    const response = await pauseJob.resume(body, context);
    // Held for a second person: 202 with the approval request.
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  return router;
}
