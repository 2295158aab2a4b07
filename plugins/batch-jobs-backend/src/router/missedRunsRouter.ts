import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { CatchUp } from '../services/missedRuns/CatchUp';
import { MissedRuns } from '../services/missedRuns/MissedRuns';
import { jobParam, parse, vpcParam } from './validation';

const WEEK_MS = 7 * 24 * 3_600_000;

const isoTime = z
  .string({ invalid_type_error: 'must be given once' })
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

const reportQuery = z.object({
  from: isoTime.transform(t => Date.parse(t)).optional(),
  to: isoTime.transform(t => Date.parse(t)).optional(),
  /** One job's runs (the job view); needs only read access to that job. */
  job: jobParam.optional(),
  /** The runs of this entity's jobs only (its jobs table); needs no VPC-wide read. */
  entityRef: z
    .string({ invalid_type_error: 'must be given once' })
    .min(1)
    .max(500)
    .optional(),
});

const choice = z.enum(['all', 'latest', 'none']);

const oneBody = z.object({
  vpc: z.string().min(1).max(100),
  job: z.string().min(1).max(1000),
  expected: isoTime,
  entityRef: z.string().min(1).max(500).optional(),
});

const catchUpBody = z.object({
  choice,
  /** Per job (full name): overrides `choice`. */
  choices: z.record(choice).optional(),
  from: isoTime.transform(t => Date.parse(t)).optional(),
  to: isoTime.transform(t => Date.parse(t)).optional(),
  concurrency: z.number().int().positive().max(100).optional(),
});

const operationParams = z.object({
  vpc: vpcParam,
  id: z.string().uuid('must be a catch-up id'),
});

/**
 * Missed and late scheduled runs, and catching them up:
 * - `GET /vpcs/:vpc/missed-runs[?from&to&job&entityRef]` → MissedRunsReport
 * - `POST /missed-runs/run` → 202 a run of one missed run (RunJob: gate, audit)
 * - `POST /vpcs/:vpc/catch-up` → 202 CatchUpOperation; `GET` lists them
 * - `GET /vpcs/:vpc/catch-up/:id`, `POST /vpcs/:vpc/catch-up/:id/stop`
 */
export function createMissedRunsRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  directory: JobDirectory;
  readAccess: JobReadAccess;
  missedRuns: MissedRuns;
  catchUp: CatchUp;
}) {
  const { httpAuth, userInfo, directory, readAccess } = options;
  const { missedRuns, catchUp } = options;
  const router = Router();
  router.use(express.json());

  const userContext = async (
    req: Parameters<typeof httpAuth.credentials>[0],
  ) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  const checkRange = (from?: number, to?: number) => {
    if (from !== undefined && to !== undefined && to <= from) {
      throw new InputError("Invalid range: 'to' must be after 'from'");
    }
    if (from !== undefined && to !== undefined && to - from > WEEK_MS) {
      throw new InputError('Invalid range: at most 7 days at once');
    }
  };

  router.get('/vpcs/:vpc/missed-runs', async (req, res) => {
    const { vpc } = parse(z.object({ vpc: vpcParam }), req.params, 'VPC');
    const query = parse(reportQuery, req.query, 'missed runs query');
    checkRange(query.from, query.to);
    const credentials = await httpAuth.credentials(req);
    const vpcConfig = directory.getVpc(vpc);
    let includeJob: ((fullName: string) => boolean) | undefined;
    if (query.entityRef) {
      const claimed = await readAccess.entityJobs(
        vpcConfig,
        query.entityRef,
        credentials,
      );
      includeJob = name => claimed(name) && (!query.job || name === query.job);
    } else if (query.job) {
      const { fullName } = await readAccess.readableJob(
        vpc,
        query.job,
        credentials,
      );
      includeJob = name => name === fullName;
    } else {
      await readAccess.checkVpc(
        vpcConfig,
        credentials,
        'the missed runs of every job',
      );
    }
    res.json(
      await missedRuns.report({
        vpc,
        from: query.from,
        to: query.to,
        includeJob,
      }),
    );
  });

  router.post('/missed-runs/run', async (req, res) => {
    const body = parse(oneBody, req.body, 'catch-up run');
    const context = await userContext(req);
    const response = await catchUp.one(body, {
      ...context,
      idempotencyKey: req.header('Idempotency-Key'),
    });
    res.status(202).json(response);
  });

  router.get('/vpcs/:vpc/catch-up', async (req, res) => {
    const { vpc } = parse(z.object({ vpc: vpcParam }), req.params, 'VPC');
    const credentials = await httpAuth.credentials(req);
    await readAccess.checkVpc(directory.getVpc(vpc), credentials, 'catch-ups');
    res.json({ items: await catchUp.list(vpc) });
  });

  router.post('/vpcs/:vpc/catch-up', async (req, res) => {
    const { vpc } = parse(z.object({ vpc: vpcParam }), req.params, 'VPC');
    const body = parse(catchUpBody, req.body, 'catch-up request');
    checkRange(body.from, body.to);
    const context = await userContext(req);
    // A VPC-wide catch-up acts on the runs of every job there: only for who
    // may read them all (else its refusals would name other teams' jobs).
    await readAccess.checkVpc(
      directory.getVpc(vpc),
      context.credentials,
      'the missed runs of every job',
    );
    res.status(202).json(await catchUp.start({ vpc, ...body }, context));
  });

  router.get('/vpcs/:vpc/catch-up/:id', async (req, res) => {
    const { vpc, id } = parse(operationParams, req.params, 'catch-up');
    const credentials = await httpAuth.credentials(req);
    await readAccess.checkVpc(directory.getVpc(vpc), credentials, 'catch-ups');
    res.json(await catchUp.get(vpc, id));
  });

  router.post('/vpcs/:vpc/catch-up/:id/stop', async (req, res) => {
    const { vpc, id } = parse(operationParams, req.params, 'catch-up');
    const context = await userContext(req);
    await readAccess.checkVpc(
      directory.getVpc(vpc),
      context.credentials,
      'catch-ups',
    );
    res.json(await catchUp.stop(vpc, id, context));
  });

  return router;
}
