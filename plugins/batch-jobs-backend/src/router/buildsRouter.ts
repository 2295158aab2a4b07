import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  LOG_MORE_DATA_HEADER,
  LOG_TEXT_SIZE_HEADER,
} from '@internal/plugin-batch-jobs-common';
import { z } from 'zod';
import { Rerun } from '../services/actions/Rerun';
import { JobsView, MAX_BUILDS_PAGE } from '../services/jobs/JobsView';
import {
  jobParam,
  nonNegativeInt,
  parse,
  positiveInt,
  vpcParam,
} from './validation';

const buildsQuery = z.object({
  vpc: vpcParam,
  job: jobParam,
  limit: positiveInt
    .refine(n => n <= MAX_BUILDS_PAGE, `must be at most ${MAX_BUILDS_PAGE}`)
    .optional(),
  cursor: z.string().min(1).max(500).optional(),
});

const logQuery = z.object({
  vpc: vpcParam,
  job: jobParam,
  number: positiveInt,
  start: nonNegativeInt.optional(),
});

const rerunBody = z.object({
  vpc: z.string().min(1).max(100),
  job: z.string().min(1).max(1000),
  number: z.number().int().positive(),
  entityRef: z.string().min(1).max(500).optional(),
});

const queueQuery = z.object({ vpc: vpcParam, id: positiveInt });

/** Builds, logs, reruns and queue items. */
export function createBuildsRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  jobs: JobsView;
  rerun: Rerun;
}) {
  const { httpAuth, userInfo, jobs, rerun } = options;
  const router = Router();

  router.get('/builds', async (req, res) => {
    const query = parse(buildsQuery, req.query, 'builds query');
    await httpAuth.credentials(req);
    res.json(
      await jobs.listBuilds({
        vpc: query.vpc,
        job: query.job,
        limit: query.limit ?? 20,
        cursor: query.cursor,
      }),
    );
  });

  router.get('/builds/log', async (req, res) => {
    const query = parse(logQuery, req.query, 'log query');
    await httpAuth.credentials(req);
    const chunk = await jobs.streamLog({ ...query, start: query.start ?? 0 });
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    // The app is served from another origin: let the browser read our headers.
    res.setHeader(
      'Access-Control-Expose-Headers',
      `${LOG_TEXT_SIZE_HEADER}, ${LOG_MORE_DATA_HEADER}`,
    );
    if (chunk.textSize !== undefined)
      res.setHeader(LOG_TEXT_SIZE_HEADER, chunk.textSize);
    if (chunk.moreData !== undefined)
      res.setHeader(LOG_MORE_DATA_HEADER, chunk.moreData);
    res.flushHeaders();
    // Stream through: a huge log never sits in our memory.
    req.on('close', () => chunk.stream.destroy());
    chunk.stream.on('error', () => res.destroy());
    chunk.stream.pipe(res);
  });

  router.post('/builds/rerun', async (req, res) => {
    const body = parse(rerunBody, req.body, 'rerun request');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    const key = req.header('Idempotency-Key');
    const response = await rerun.rerun(body, {
      credentials,
      actor: userEntityRef,
      idempotencyKey: key,
    });
    res.status(202).json(response);
  });

  router.get('/queue', async (req, res) => {
    const query = parse(queueQuery, req.query, 'queue query');
    await httpAuth.credentials(req);
    res.json(await jobs.getQueueItem(query));
  });

  return router;
}
