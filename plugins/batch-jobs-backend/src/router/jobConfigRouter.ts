import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { isApprovalPending } from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { JobConfigHistory } from '../services/jobs/JobConfigHistory';
import { JobWriter } from '../services/jobs/JobWriter';
import { JobTemplates } from '../services/templates/JobTemplates';
import { jobParam, parse, vpcParam } from './validation';

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
  /** Id of the job template (`GET /jobs/templates`); default: the standard pipeline. */
  template: z.string().min(1).max(100).optional(),
  update: z.boolean().optional(),
  /** Replace a job the template did not create (its config is kept in the history). */
  force: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  entityRef: z.string().min(1).max(500).optional(),
});

const historyQuery = z.object({ vpc: vpcParam, job: jobParam });

const versionId = z.string().uuid('must be a version id');

const restoreBody = z.object({
  vpc: name,
  /** Jenkins full name in `vpc`. */
  job: z.string().min(1).max(1000),
  versionId,
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

const templateQuery = z.object({
  vpc: z.string().min(1).max(100),
  /** Jenkins full name in `vpc`. */
  job: jobParam,
});

const promoteBody = z.object({
  job: z.string().min(1).max(1000),
  from: name,
  to: name,
  entityRef: z.string().min(1).max(500).optional(),
});

/**
 * Jobs from job templates, compared and promoted across VPCs.
 *
 * - `GET /jobs/templates` → JobTemplatesResponse: the templates a write may
 *   name (`template`; default the standard pipeline)
 * - `POST /jobs/create` → CreateBatchJobsResponse (201, 200 on a dry run)
 * - `POST /jobs/update` → CreateBatchJobsResponse (the jobs must exist)
 * - `GET /jobs/template?vpc=DEV&job=<full name in DEV>` → JobTemplateSpecResponse
 *   (the spec to re-render a template job with `POST /jobs/update`)
 * - `GET /jobs/compare?job=<path in the VPC folder>&vpcs=DEV,STG` → JobComparisonResponse
 *   (or `vpc=DEV&job=<full name in DEV>`)
 * - `POST /jobs/promote` `{ job, from, to }` → PromoteJobResponse, or 202
 *   with the approval request when `to` requires four eyes
 * - `GET /jobs/history?vpc=&job=<full name>` → JobConfigHistoryResponse: the
 *   config.xml versions portal writes replaced (no XML)
 * - `GET /jobs/history/:id` → JobConfigVersionResponse: one version's XML
 *   and its diff from the current config
 * - `POST /jobs/restore` `{ vpc, job, versionId }` → RestoreJobConfigResponse,
 *   or 202 with the approval request in a VPC with four eyes
 */
export function createJobConfigRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  writer: JobWriter;
  history: JobConfigHistory;
  directory: JobDirectory;
  readAccess: JobReadAccess;
  templates: JobTemplates;
}) {
  const { httpAuth, userInfo, writer, directory, readAccess, templates } =
    options;
  const { history } = options;
  const router = Router();

  const userContext = async (
    req: Parameters<typeof httpAuth.credentials>[0],
  ) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  // Titles and versions only (no scripts): any signed-in user may see them.
  router.get('/jobs/templates', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(await templates.list());
  });

  router.post('/jobs/create', async (req, res) => {
    const body = parse(writeBody, req.body, 'job request');
    const response = await writer.write(body, await userContext(req));
    // Held for a second person: 202 with the approval request.
    if (isApprovalPending(response)) res.status(202).json(response);
    else res.status(response.dryRun ? 200 : 201).json(response);
  });

  router.post('/jobs/update', async (req, res) => {
    const body = parse(writeBody, req.body, 'job request');
    const response = await writer.write(body, await userContext(req), 'update');
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  router.get('/jobs/compare', async (req, res) => {
    const query = parse(compareQuery, req.query, 'comparison query');
    const credentials = await httpAuth.credentials(req);
    const job = query.vpc
      ? writer.relativeJob(query.vpc, query.job)
      : query.job;
    // Whole pipeline scripts: the caller must may read the job in every VPC
    // compared, or nothing is shown.
    for (const vpcName of new Set(query.vpcs)) {
      const vpc = directory.getVpc(vpcName);
      const fullName = [vpc.folder, job].filter(Boolean).join('/');
      directory.resolveJob(vpc.name, fullName);
      await readAccess.checkJob(vpc, fullName, credentials);
    }
    res.json(await writer.compare(job, query.vpcs));
  });

  // The whole spec (parameter defaults included): the caller must may read the job.
  router.get('/jobs/template', async (req, res) => {
    const query = parse(templateQuery, req.query, 'template query');
    const { vpc, fullName } = await readAccess.readableJob(
      query.vpc,
      query.job,
      await httpAuth.credentials(req),
    );
    res.json(await writer.templateSpec(vpc.name, fullName));
  });

  router.post('/jobs/promote', async (req, res) => {
    const body = parse(promoteBody, req.body, 'promotion');
    const response = await writer.promote(body, await userContext(req));
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  // Whole config.xml versions: the caller must may read the job.
  router.get('/jobs/history', async (req, res) => {
    const query = parse(historyQuery, req.query, 'history query');
    const { vpc, fullName } = await readAccess.readableJob(
      query.vpc,
      query.job,
      await httpAuth.credentials(req),
    );
    res.json(await history.list(vpc.name, fullName));
  });

  router.get('/jobs/history/:id', async (req, res) => {
    const id = parse(versionId, req.params.id, 'version id');
    const credentials = await httpAuth.credentials(req);
    const version = await history.find(id);
    await readAccess.readableJob(version.vpc, version.job, credentials);
    res.json(await history.describe(version));
  });

  router.post('/jobs/restore', async (req, res) => {
    const body = parse(restoreBody, req.body, 'restore request');
    const response = await history.restore(body, await userContext(req));
    // Held for a second person: 202 with the approval request.
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  return router;
}
