import { Sandbox } from '@internal/batch-jobs-sandbox';
import request from 'supertest';
import { expectRefused } from './__testUtils__/expectations';
import { jenkinsAdmin, jobUrlPath } from './__testUtils__/jenkins';
import {
  component,
  SECRET_SERVICE,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attack 2: reading around the catalog. secret-service (owned by
 * team-secret, bound by an operator to the report-builder jobs) is hidden
 * from Mallory by the adopter's catalog policy. She then asks the Batch Jobs
 * API for its jobs' data directly, route by route, naming the jobs she
 * guesses, and through an entity of her own that claims the same folder:
 * every answer is a refusal with no data. Victor, who can see the
 * entity (and owns nothing), reads the same routes: they answer, so the
 * refusals come from the entity's visibility, not from a broken route.
 */

jest.setTimeout(120_000);

const SECRET_REF = 'component:default/secret-service';
const DAILY = 'DEV/report-builder/daily-report';
const EXPORT = 'DEV/report-builder/monthly-export';
/** Mallory's own entity, claiming secret-service's folder (no binding gives it to her). */
const MALLORY_REPORTS = component(
  'mallory-reports',
  'group:default/team-mallory',
  {
    'batch-jobs.io/jobs': 'report-builder',
  },
);

describe('attack 2: a user who cannot see an entity reads none of its jobs’ data', () => {
  let backend: SecurityBackend;
  let sandbox: Sandbox;
  let queueId: number;
  let buildNumber: number;
  let logLine: string;

  beforeAll(async () => {
    backend = await startSecurityBackend({
      hidden: { [USERS.mallory]: [SECRET_REF] },
    });
    sandbox = backend.sandbox;
    await backend.register(USERS.sam, 'secret', [SECRET_SERVICE]);
    await backend.register(USERS.mallory, 'mallory', [MALLORY_REPORTS]);

    // A queued build (as its timer would queue it), and an audited action
    // by the owner, so the queue and the audit have something to leak.
    const queued = await jenkinsAdmin(
      sandbox,
      'POST',
      `${jobUrlPath(EXPORT)}/buildWithParameters?FORMAT=parquet`,
    );
    queueId = Number(/queue\/item\/(\d+)/.exec(queued.location ?? '')![1]);
    const pause = await backend
      .as(USERS.sam)
      .post('/jobs/disable', {
        vpc: 'DEV',
        job: DAILY,
        reason: 'quarter close',
      });
    if (pause.status !== 200) {
      throw new Error(`The owner's pause: ${pause.status} ${pause.text}`);
    }

    const builds = (sandbox.world.item(EXPORT) as any).builds.filter(
      (b: any) => b.result !== null,
    );
    buildNumber = builds.at(-1).number;
  });

  afterAll(() => backend?.close());

  /** Every job-data route, as [name, request] for a user. */
  const jobRoutes = (
    user: string,
  ): Array<[string, () => request.Test | Promise<request.Response>]> => {
    const api = backend.as(user);
    return [
      ['builds', () => api.get('/builds', { vpc: 'DEV', job: EXPORT })],
      [
        'log',
        () =>
          api.get('/builds/log', {
            vpc: 'DEV',
            job: EXPORT,
            number: buildNumber,
          }),
      ],
      [
        'parameters?fromBuild',
        () =>
          api.get('/jobs/parameters', {
            vpc: 'DEV',
            job: EXPORT,
            fromBuild: buildNumber,
          }),
      ],
      [
        'compare (relative job)',
        () =>
          api.get('/jobs/compare', {
            job: 'report-builder/monthly-export',
            vpcs: 'DEV,STG',
          }),
      ],
      [
        'compare (full name in a VPC)',
        () =>
          api.get('/jobs/compare', {
            vpc: 'DEV',
            job: EXPORT,
            vpcs: 'DEV,STG',
          }),
      ],
      ['queue', () => api.get('/queue', { vpc: 'DEV', id: queueId })],
      ['audit of the job', () => api.get('/audit', { vpc: 'DEV', job: DAILY })],
      [
        'audit of the entity',
        () => api.get('/audit', { entityRef: SECRET_REF }),
      ],
      [
        'entity jobs',
        () => api.get('/entity/default/component/secret-service/jobs'),
      ],
      [
        'entity timeline',
        () => api.get('/vpcs/DEV/timeline', { entityRef: SECRET_REF }),
      ],
    ];
  };

  /** VPC-wide views: they name every job of the VPC, so they need batch-jobs.vpc.read. */
  const vpcRoutes = (
    user: string,
  ): Array<[string, () => request.Test | Promise<request.Response>]> => {
    const api = backend.as(user);
    return [
      ['fleet', () => api.get('/fleet')],
      ['VPC timeline', () => api.get('/vpcs/DEV/timeline')],
      ['VPC workers', () => api.get('/vpcs/DEV/workers')],
      ['VPC audit', () => api.get('/audit', { vpc: 'DEV' })],
    ];
  };

  it('the catalog hides secret-service from mallory, not from victor', async () => {
    expect(
      (await backend.catalogEntity(USERS.mallory, SECRET_REF)).status,
    ).toBe(404);
    expect((await backend.catalogEntity(USERS.victor, SECRET_REF)).status).toBe(
      200,
    );
  });

  it('control: victor, who sees the entity, reads every job route', async () => {
    const log = await backend.as(USERS.victor).get('/builds/log', {
      vpc: 'DEV',
      job: EXPORT,
      number: buildNumber,
    });
    expect(log.status).toBe(200);
    logLine = log.text.split('\n').find(l => l.trim().length > 20)!;
    expect(logLine).toBeDefined();

    const answers: Record<string, number> = {};
    for (const [name, send] of jobRoutes(USERS.victor)) {
      answers[name] = (await send()).status;
    }
    expect(answers).toEqual(
      Object.fromEntries(jobRoutes(USERS.victor).map(([name]) => [name, 200])),
    );
  });

  it('control: an operator reads the VPC-wide views', async () => {
    for (const [name, send] of vpcRoutes(USERS.olga)) {
      const res = await send();
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
    }
  });

  it.each([
    'builds',
    'log',
    'parameters?fromBuild',
    'compare (relative job)',
    'compare (full name in a VPC)',
    'queue',
    'audit of the job',
    'audit of the entity',
    'entity jobs',
    'entity timeline',
  ])('mallory: %s is refused with no data', async name => {
    const [, send] = jobRoutes(USERS.mallory).find(([n]) => n === name)!;
    const res = await send();
    // Nothing the owner's data would show: the log, the pause reason, the parameter.
    expectRefused(res as request.Response, name, [
      ...(logLine ? [logLine] : []),
      'quarter close',
      'parquet',
    ]);
  });

  it('mallory: her own entity claiming report-builder shows none of its jobs', async () => {
    const res = await backend
      .as(USERS.mallory)
      .get('/entity/default/component/mallory-reports/jobs');
    const listed =
      res.status === 200
        ? res.body.vpcs.flatMap((v: any) =>
            v.jobs.filter((j: any) => !j.error).map((j: any) => j.fullName),
          )
        : [];
    expect(listed).toEqual([]);
    const builds = await backend.as(USERS.mallory).get('/builds', {
      vpc: 'DEV',
      job: EXPORT,
      entityRef: 'component:default/mallory-reports',
    });
    expectRefused(builds, 'builds through her own entity');
  });

  it.each(['fleet', 'VPC timeline', 'VPC workers', 'VPC audit'])(
    'mallory: %s (a VPC-wide view) is refused without batch-jobs.vpc.read',
    async name => {
      const [, send] = vpcRoutes(USERS.mallory).find(([n]) => n === name)!;
      const res = await send();
      expectRefused(res as request.Response, name, ['report-builder']);
    },
  );
});
