import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { z } from 'zod';
import { JobWriter } from '../services/jobs/JobWriter';
import { jobParam, parse } from './validation';

const name = z.string().min(1).max(100);

const parameter = z.object({
  name: z.string().min(1).max(100),
  type: z.enum(['string', 'text', 'boolean', 'choice', 'password']),
  description: z.string().max(2000).optional(),
  defaultValue: z.union([z.string().max(10_000), z.boolean()]).optional(),
  choices: z.array(z.string().max(500)).max(100).optional(),
});

const writeBody = z.object({
  vpcs: z.array(name).min(1).max(20),
  folder: z.string().min(1).max(500),
  name,
  schedule: z.string().max(2000).nullish(),
  agentType: z.enum(['batch', 'worker']),
  parameters: z.array(parameter).max(50).default([]),
  application: name,
  batchName: name,
  description: z.string().max(2000).optional(),
  update: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  entityRef: z.string().min(1).max(500).optional(),
});

const compareQuery = z.object({
  job: jobParam,
  /** When given, `job` is the Jenkins full name in this VPC (what the job view knows). */
  vpc: z.string().min(1).max(100).optional(),
  vpcs: z
    .string({ invalid_type_error: 'must be given once' })
    .min(1, 'is required')
    .transform(v =>
      v
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    ),
});

const promoteBody = z.object({
  job: z.string().min(1).max(1000),
  from: name,
  to: name,
  entityRef: z.string().min(1).max(500).optional(),
});

/**
 * Jobs from the standard template, compared and promoted across VPCs.
 *
 * - `POST /jobs/create` → CreateBatchJobsResponse (201, 200 on a dry run)
 * - `POST /jobs/update` → CreateBatchJobsResponse (the jobs must exist)
 * - `GET /jobs/compare?job=<path in the VPC folder>&vpcs=DEV,STG` → JobComparisonResponse
 *   (or `vpc=DEV&job=<full name in DEV>`)
 * - `POST /jobs/promote` `{ job, from, to }` → PromoteJobResponse, or 202
 *   with the approval request when `to` requires four eyes
 */
export function createJobConfigRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  writer: JobWriter;
}) {
  const { httpAuth, userInfo, writer } = options;
  const router = Router();

  const userContext = async (
    req: Parameters<typeof httpAuth.credentials>[0],
  ) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  router.post('/jobs/create', async (req, res) => {
    const body = parse(writeBody, req.body, 'job request');
    const response = await writer.write(body, await userContext(req));
    res.status(response.dryRun ? 200 : 201).json(response);
  });

  router.post('/jobs/update', async (req, res) => {
    const body = parse(writeBody, req.body, 'job request');
    res.json(await writer.write(body, await userContext(req), 'update'));
  });

  router.get('/jobs/compare', async (req, res) => {
    const query = parse(compareQuery, req.query, 'comparison query');
    await httpAuth.credentials(req);
    const job = query.vpc
      ? writer.relativeJob(query.vpc, query.job)
      : query.job;
    res.json(await writer.compare(job, query.vpcs));
  });

  router.post('/jobs/promote', async (req, res) => {
    const body = parse(promoteBody, req.body, 'promotion');
    const response = (await writer.promote(body, await userContext(req))) as {
      approvalRequired?: boolean;
    };
    res.status(response.approvalRequired ? 202 : 200).json(response);
  });

  return router;
}
