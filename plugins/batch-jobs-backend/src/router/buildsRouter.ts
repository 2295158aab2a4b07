import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  LOG_MORE_DATA_HEADER,
  LOG_TEXT_END_HEADER,
  LOG_TEXT_SIZE_HEADER,
  LOG_TEXT_START_HEADER,
} from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { JobReadAccess } from '../services/actions/readAccess';
import { Rerun } from '../services/actions/Rerun';
import { SubmitInput } from '../services/actions/SubmitInput';
import { PipelineRuns } from '../services/jobs/PipelineRuns';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { JobsView, MAX_BUILDS_PAGE } from '../services/jobs/JobsView';
import { LogStreamLimiter } from '../services/jobs/LogStreamLimiter';
import {
  ConsoleLogs,
  MAX_LOG_LIMIT,
  MAX_LOG_TAIL,
} from '../services/consoleLogs/ConsoleLogs';
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

const logQuery = z
  .object({
    vpc: vpcParam,
    job: jobParam,
    number: positiveInt,
    start: nonNegativeInt.optional(),
    tail: positiveInt
      .refine(n => n <= MAX_LOG_TAIL, `must be at most ${MAX_LOG_TAIL} bytes`)
      .optional(),
    limit: positiveInt
      .refine(n => n <= MAX_LOG_LIMIT, `must be at most ${MAX_LOG_LIMIT} bytes`)
      .optional(),
  })
  .refine(q => q.tail === undefined || q.start === undefined, {
    message: 'give either start or tail, not both',
    path: ['tail'],
  })
  .refine(q => q.tail === undefined || q.limit === undefined, {
    message: 'tail already bounds the read; drop limit',
    path: ['limit'],
  });

const rerunBody = z.object({
  vpc: z.string().min(1).max(100),
  job: z.string().min(1).max(1000),
  number: z.number().int().positive(),
  entityRef: z.string().min(1).max(500).optional(),
});

const queueQuery = z.object({ vpc: vpcParam, id: positiveInt });

const stagesQuery = z.object({
  vpc: vpcParam,
  job: jobParam,
  number: positiveInt,
});

const stageLogQuery = stagesQuery.extend({
  // A flow node id: Jenkins numbers them.
  stage: z
    .string({ invalid_type_error: 'must be given once' })
    .regex(/^\d{1,12}$/, 'must be a flow node id (digits)'),
});

const inputBody = z.object({
  vpc: z.string().min(1).max(100),
  job: z.string().min(1).max(1000),
  number: z.number().int().positive(),
  inputId: z.string().min(1).max(200),
  action: z.enum(['proceed', 'abort']),
  parameters: z
    .record(z.union([z.string().max(100_000), z.boolean()]))
    .optional(),
  entityRef: z.string().min(1).max(500).optional(),
});

/** Builds, logs, reruns and queue items. */
export function createBuildsRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  jobs: JobsView;
  rerun: Rerun;
  directory: JobDirectory;
  readAccess: JobReadAccess;
  /** Stages and inputs of pipeline builds; without them those routes are absent. */
  runs?: PipelineRuns;
  submitInput?: SubmitInput;
  /** Log streams one user may hold open at once. */
  maxLogStreamsPerUser?: number;
  logs?: ConsoleLogs;
}) {
  const { httpAuth, userInfo, jobs, rerun, directory, readAccess } = options;
  const logStreams = new LogStreamLimiter(options.maxLogStreamsPerUser ?? 8);
  const logs =
    options.logs ??
    new ConsoleLogs({ directory, clientFor: vpc => jobs.clientFor(vpc) });

  /** The job named by a read, checked to be the caller's to read. */
  const readableJob = async (
    req: Parameters<typeof httpAuth.credentials>[0],
    vpcName: string,
    job: string,
  ) => {
    const credentials = await httpAuth.credentials(req);
    await readAccess.readableJob(vpcName, job, credentials);
    return credentials;
  };
  const router = Router();

  router.get('/builds', async (req, res) => {
    const query = parse(buildsQuery, req.query, 'builds query');
    await readableJob(req, query.vpc, query.job);
    res.json(
      await jobs.listBuilds({
        vpc: query.vpc,
        job: query.job,
        limit: query.limit ?? 20,
        cursor: query.cursor,
      }),
    );
  });

  /*
   * A build's console log, from Jenkins' progressiveText.
   *   start=<offset>  from this byte (default 0); limit=<bytes> at most this many
   *   tail=<bytes>    the last bytes instead, from the first whole line in them
   * Headers: X-Text-Start (offset of the first byte sent), X-Text-End (just
   * after the last: the next `start`), X-Text-Size (the log's length known so
   * far), X-More-Data: true while the build still writes. A `start` past the
   * end starts over at 0, as Jenkins does. Reads of a running build's end are
   * shared by all its readers (ConsoleLogs); the rest streams through.
   */
  router.get('/builds/log', async (req, res) => {
    const query = parse(logQuery, req.query, 'log query');
    const credentials = await readableJob(req, query.vpc, query.job);
    const principal = credentials.principal as {
      userEntityRef?: string;
      subject?: string;
    };
    const release = logStreams.acquire(
      principal.userEntityRef ?? principal.subject ?? 'service',
    );
    res.on('close', release);
    let chunk;
    try {
      chunk = await logs.read(query);
    } catch (error) {
      release();
      throw error;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    // The app is served from another origin: let the browser read our headers.
    res.setHeader(
      'Access-Control-Expose-Headers',
      [
        LOG_TEXT_SIZE_HEADER,
        LOG_MORE_DATA_HEADER,
        LOG_TEXT_START_HEADER,
        LOG_TEXT_END_HEADER,
      ].join(', '),
    );
    res.setHeader(LOG_TEXT_START_HEADER, chunk.start);
    if (chunk.end !== undefined) res.setHeader(LOG_TEXT_END_HEADER, chunk.end);
    if (chunk.size !== undefined)
      res.setHeader(LOG_TEXT_SIZE_HEADER, chunk.size);
    if (chunk.moreData) res.setHeader(LOG_MORE_DATA_HEADER, 'true');
    const body = chunk.body;
    if (Buffer.isBuffer(body)) {
      // Held in memory (bounded): one write, with its length.
      res.setHeader('Content-Length', body.length);
      res.end(body);
      return;
    }
    res.flushHeaders();
    // Stream through: a huge log never sits in our memory.
    res.on('close', () => body.destroy());
    body.on('error', () => res.destroy());
    body.pipe(res);
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

  const { runs, submitInput } = options;
  if (runs) {
    router.get('/builds/stages', async (req, res) => {
      const query = parse(stagesQuery, req.query, 'stages query');
      await readableJob(req, query.vpc, query.job);
      res.json(await runs.stages(query));
    });

    router.get('/builds/stages/log', async (req, res) => {
      const query = parse(stageLogQuery, req.query, 'stage log query');
      await readableJob(req, query.vpc, query.job);
      res.setHeader('Cache-Control', 'no-store');
      res.json(await runs.stageLog(query));
    });
  }

  if (submitInput) {
    router.post('/builds/input', async (req, res) => {
      const body = parse(inputBody, req.body, 'input answer');
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { userEntityRef } = await userInfo.getUserInfo(credentials);
      res.json(
        await submitInput.submit(body, { credentials, actor: userEntityRef }),
      );
    });
  }

  router.get('/queue', async (req, res) => {
    const query = parse(queueQuery, req.query, 'queue query');
    const credentials = await httpAuth.credentials(req);
    const vpc = directory.getVpc(query.vpc);
    res.json(
      await jobs.getQueueItem({
        ...query,
        // A queue id says nothing of its job: checked once the item is read.
        checkJob: async fullName =>
          fullName
            ? readAccess.checkJob(vpc, fullName, credentials)
            : readAccess.checkVpc(vpc, credentials, 'queue items'),
      }),
    );
  });

  return router;
}
