import request from 'supertest';
import {
  JANE,
  Sandbox,
  captureLogs,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Bad input on every route of the newer routers (routines, operations and
 * approvals, controls, job config, timeline): unknown VPCs and ids, job
 * names with `..`, `%2F`, unicode or 10 kB, wrong types, missing fields and
 * malformed JSON. Each must answer a 4xx (never a 500) with a JSON error
 * that names the problem, start nothing in Jenkins, and leak no secret.
 */

jest.setTimeout(60_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';
const REL_JOB = 'payments-settlement/daily-settlement-report';
const AWS_SECRET = 'sandbox-aws-SECRET-do-not-leak';
const UUID = '0b6f5d1e-2c3a-4f4b-9a8e-1d2c3b4a5f60';
const LONG = 'x'.repeat(10_000);
/** Job names a user can type that must never reach Jenkins as a path. */
const BAD_JOBS = [
  '../../etc/passwd',
  'payments-settlement/../secret',
  'a%2Fb',
  'päyments/💥',
  LONG,
];
const SPEC = {
  vpcs: ['DEV'],
  folder: 'payments-settlement',
  name: 'nightly-import',
  agentType: 'batch',
  application: 'payments-batch',
  batchName: 'import-settlements',
  dryRun: true,
};

/** Every log line, as text, to search for secrets. */
const { lines: logLines, features: loggerFeatures } = captureLogs();

type Case = {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  /** A raw string body sent as application/json. */
  raw?: string;
  /** What the message must say. */
  says: RegExp;
};

/** [label, case] rows for it.each. */
type Row = [string, Case];

const get = (
  path: string,
  query: Record<string, unknown>,
  says: RegExp,
): Case => ({
  method: 'GET',
  path,
  query,
  says,
});
const post = (path: string, body: unknown, says: RegExp): Case => ({
  method: 'POST',
  path,
  body,
  says,
});
const malformed = (path: string): Row => [
  `${path}: malformed JSON`,
  {
    method: 'POST',
    path,
    raw: '{"vpc": "DEV", ',
    says: /JSON|Unexpected|parse/i,
  },
];
const enc = encodeURIComponent;

const ROUTINES: Row[] = [
  [
    'run: unknown routine',
    post('/routines/no-such-routine/run', { dryRun: true }, /no-such-routine/),
  ],
  [
    'run: 10 kB routine id',
    post(`/routines/${LONG}/run`, { dryRun: true }, /routine id/),
  ],
  [
    'run: dryRun as a string',
    post('/routines/orphan-reaper/run', { dryRun: 'yes' }, /dryRun/),
  ],
  ['run: missing dryRun', post('/routines/orphan-reaper/run', {}, /dryRun/)],
  [
    'run: unknown field',
    post('/routines/orphan-reaper/run', { dryRun: true, force: 1 }, /force/),
  ],
  [
    'run: body is an array',
    post('/routines/orphan-reaper/run', [true], /run request/),
  ],
  malformed('/routines/orphan-reaper/run'),
  [
    'runs: unknown routine',
    get('/routines/no-such-routine/runs', {}, /no-such-routine/),
  ],
  [
    'runs: limit not a number',
    get('/routines/orphan-reaper/runs', { limit: 'abc' }, /limit/),
  ],
  ['runs: limit 0', get('/routines/orphan-reaper/runs', { limit: 0 }, /limit/)],
  [
    'runs: limit repeated',
    get('/routines/orphan-reaper/runs', { limit: [1, 2] }, /limit/),
  ],
  ['run: id not a uuid', get('/routines/runs/not-a-uuid', {}, /run id/)],
  ['run: unknown run id', get(`/routines/runs/${UUID}`, {}, new RegExp(UUID))],
];

const OPERATIONS: Row[] = [
  ['workers: unknown VPC', get('/vpcs/NOPE/workers', {}, /NOPE/)],
  ['workers: 10 kB VPC', get(`/vpcs/${LONG}/workers`, {}, /VPC/)],
  ['workers: unicode VPC', get(`/vpcs/${enc('DÉV💥')}/workers`, {}, /VPC/)],
  ['redeploy: unknown VPC', post('/vpcs/NOPE/workers/redeploy', {}, /NOPE/)],
  [
    'redeploy: jobs as a string',
    post('/vpcs/DEV/workers/redeploy', { jobs: 'DEV-worker' }, /jobs/),
  ],
  [
    'redeploy: jobs of numbers',
    post('/vpcs/DEV/workers/redeploy', { jobs: [1] }, /jobs/),
  ],
  [
    'redeploy: unknown field',
    post('/vpcs/DEV/workers/redeploy', { all: true }, /all/),
  ],
  [
    'redeploy: body is an array',
    post('/vpcs/DEV/workers/redeploy', ['x'], /redeploy request/),
  ],
  malformed('/vpcs/DEV/workers/redeploy'),
  [
    'operation: id not a uuid',
    get('/operations/not-a-uuid', {}, /operation id/),
  ],
  ['operation: 10 kB id', get(`/operations/${LONG}`, {}, /operation id/)],
  ['operation: unknown id', get(`/operations/${UUID}`, {}, new RegExp(UUID))],
  [
    'approvals: unknown status',
    get('/approvals', { status: 'bogus' }, /status/),
  ],
  ['approvals: unknown state', get('/approvals', { state: 'bogus' }, /state/)],
  [
    'approvals: limit not a number',
    get('/approvals', { limit: 'abc' }, /limit/),
  ],
  ['approvals: limit too large', get('/approvals', { limit: 100000 }, /limit/)],
  ['approval: id not a uuid', get('/approvals/not-a-uuid', {}, /approval id/)],
  ['approval: unknown id', get(`/approvals/${UUID}`, {}, new RegExp(UUID))],
  [
    'approve: id not a uuid',
    post('/approvals/not-a-uuid/approve', {}, /approval id/),
  ],
  [
    'approve: id with %2F',
    post(`/approvals/${enc('a/b')}/approve`, {}, /approval id/),
  ],
  [
    'approve: unknown id',
    post(`/approvals/${UUID}/approve`, {}, new RegExp(UUID)),
  ],
  [
    'execute: id not a uuid',
    post('/approvals/not-a-uuid/execute', {}, /approval id/),
  ],
  [
    'execute: unknown id',
    post(`/approvals/${UUID}/execute`, {}, new RegExp(UUID)),
  ],
  [
    'reject: unknown id',
    post(`/approvals/${UUID}/reject`, { reason: 'no' }, new RegExp(UUID)),
  ],
  [
    'reject: reason a number',
    post(`/approvals/${UUID}/reject`, { reason: 42 }, /reason/),
  ],
  [
    'reject: 10 kB reason',
    post(`/approvals/${UUID}/reject`, { reason: LONG }, /reason/),
  ],
  malformed(`/approvals/${UUID}/reject`),
];

const CONTROLS: Row[] = [
  ['parameters: missing job', get('/jobs/parameters', { vpc: 'DEV' }, /job/)],
  [
    'parameters: unknown VPC',
    get('/jobs/parameters', { vpc: 'NOPE', job: JOB }, /NOPE/),
  ],
  [
    'parameters: fromBuild not a number',
    get(
      '/jobs/parameters',
      { vpc: 'DEV', job: JOB, fromBuild: 'x' },
      /fromBuild/,
    ),
  ],
  ['run: unknown VPC', post('/jobs/run', { vpc: 'NOPE', job: JOB }, /NOPE/)],
  ['run: missing job', post('/jobs/run', { vpc: 'DEV' }, /job/)],
  ['run: job as a number', post('/jobs/run', { vpc: 'DEV', job: 7 }, /job/)],
  [
    'run: parameter value an object',
    post(
      '/jobs/run',
      { vpc: 'DEV', job: JOB, parameters: { A: { b: 1 } } },
      /parameters/,
    ),
  ],
  malformed('/jobs/run'),
  [
    'stop: unknown VPC',
    post('/builds/stop', { vpc: 'NOPE', job: JOB, number: 1 }, /NOPE/),
  ],
  [
    'stop: number as a string',
    post('/builds/stop', { vpc: 'DEV', job: JOB, number: '1' }, /number/),
  ],
  ['stop: missing vpc', post('/builds/stop', { job: JOB, number: 1 }, /vpc/)],
  malformed('/builds/stop'),
  [
    'disable: unknown VPC',
    post('/jobs/disable', { vpc: 'NOPE', job: JOB, reason: 'x' }, /NOPE/),
  ],
  [
    'disable: missing reason',
    post('/jobs/disable', { vpc: 'DEV', job: JOB }, /reason/),
  ],
  [
    'disable: reason a boolean',
    post('/jobs/disable', { vpc: 'DEV', job: JOB, reason: true }, /reason/),
  ],
  malformed('/jobs/disable'),
  [
    'enable: unknown VPC',
    post('/jobs/enable', { vpc: 'NOPE', job: JOB }, /NOPE/),
  ],
  [
    'enable: 10 kB reason',
    post('/jobs/enable', { vpc: 'DEV', job: JOB, reason: LONG }, /reason/),
  ],
  malformed('/jobs/enable'),
];

const JOB_CONFIG: Row[] = [
  [
    'create: unknown VPC',
    post('/jobs/create', { ...SPEC, vpcs: ['NOPE'] }, /NOPE/),
  ],
  ['create: no VPC', post('/jobs/create', { ...SPEC, vpcs: [] }, /vpcs/)],
  [
    'create: vpcs as a string',
    post('/jobs/create', { ...SPEC, vpcs: 'DEV' }, /vpcs/),
  ],
  [
    'create: missing name',
    post('/jobs/create', { ...SPEC, name: undefined }, /name/),
  ],
  [
    'create: unknown agentType',
    post('/jobs/create', { ...SPEC, agentType: 'gpu' }, /agentType/),
  ],
  [
    'create: parameters as a string',
    post('/jobs/create', { ...SPEC, parameters: 'x' }, /parameters/),
  ],
  [
    'create: 10 kB description',
    post('/jobs/create', { ...SPEC, description: LONG }, /description/),
  ],
  ['create: body is an array', post('/jobs/create', [SPEC], /job request/)],
  malformed('/jobs/create'),
  [
    'update: unknown VPC',
    post('/jobs/update', { ...SPEC, vpcs: ['NOPE'] }, /NOPE/),
  ],
  [
    'update: update as a string',
    post('/jobs/update', { ...SPEC, update: 'yes' }, /update/),
  ],
  malformed('/jobs/update'),
  ['compare: missing vpcs', get('/jobs/compare', { job: REL_JOB }, /vpcs/)],
  ['compare: missing job', get('/jobs/compare', { vpcs: 'DEV,STG' }, /job/)],
  [
    'compare: unknown VPC',
    get('/jobs/compare', { job: REL_JOB, vpcs: 'DEV,NOPE' }, /NOPE/),
  ],
  [
    'compare: job in no VPC',
    get(
      '/jobs/compare',
      { job: 'payments-settlement/no-such-job', vpcs: 'DEV,STG' },
      /No job 'payments-settlement\/no-such-job' in DEV, STG/,
    ),
  ],
  [
    'compare: one VPC',
    get('/jobs/compare', { job: REL_JOB, vpcs: 'DEV' }, /two VPCs/),
  ],
  [
    'compare: unknown vpc of the full name',
    get('/jobs/compare', { vpc: 'NOPE', job: JOB, vpcs: 'DEV,STG' }, /NOPE/),
  ],
  [
    'compare: vpcs repeated',
    get('/jobs/compare', { job: REL_JOB, vpcs: ['DEV', 'STG'] }, /vpcs/),
  ],
  [
    'promote: unknown target VPC',
    post('/jobs/promote', { job: REL_JOB, from: 'DEV', to: 'NOPE' }, /NOPE/),
  ],
  [
    'promote: unknown source VPC',
    post('/jobs/promote', { job: REL_JOB, from: 'NOPE', to: 'STG' }, /NOPE/),
  ],
  [
    'promote: same VPC',
    post('/jobs/promote', { job: REL_JOB, from: 'DEV', to: 'DEV' }, /same VPC/),
  ],
  [
    'promote: missing job',
    post('/jobs/promote', { from: 'DEV', to: 'STG' }, /job/),
  ],
  [
    'promote: to as an array',
    post('/jobs/promote', { job: REL_JOB, from: 'DEV', to: ['STG'] }, /to/),
  ],
  malformed('/jobs/promote'),
];

const TIMELINE: Row[] = [
  ['unknown VPC', get('/vpcs/NOPE/timeline', {}, /NOPE/)],
  ['10 kB VPC', get(`/vpcs/${LONG}/timeline`, {}, /VPC/)],
  ['VPC with %2F', get(`/vpcs/${enc('DEV/..')}/timeline`, {}, /VPC/)],
  ['unicode VPC', get(`/vpcs/${enc('DÉV💥')}/timeline`, {}, /VPC/)],
  ['from not a date', get('/vpcs/DEV/timeline', { from: 'yesterday' }, /from/)],
  [
    'to before from',
    get(
      '/vpcs/DEV/timeline',
      { from: '2026-11-02T10:00:00Z', to: '2026-11-02T09:00:00Z' },
      /after/,
    ),
  ],
  [
    'range over a week',
    get(
      '/vpcs/DEV/timeline',
      { from: '2026-11-02T00:00:00Z', to: '2026-11-20T00:00:00Z' },
      /7 days/,
    ),
  ],
  [
    'from repeated',
    get(
      '/vpcs/DEV/timeline',
      { from: ['2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'] },
      /from/,
    ),
  ],
];

/** What a refusal of a bad name must talk about. */
const NAMES_IT = /job|VPC|\bid\b|routine|folder|name|worker|promotion/i;

/** Every route that takes a job name, VPC or id, with the bad value put in. */
function jobRoutes(job: string): Row[] {
  return [
    [
      'GET /jobs/parameters',
      get('/jobs/parameters', { vpc: 'DEV', job }, NAMES_IT),
    ],
    ['POST /jobs/run', post('/jobs/run', { vpc: 'DEV', job }, NAMES_IT)],
    [
      'POST /builds/stop',
      post('/builds/stop', { vpc: 'DEV', job, number: 1 }, NAMES_IT),
    ],
    [
      'POST /jobs/disable',
      post('/jobs/disable', { vpc: 'DEV', job, reason: 'x' }, NAMES_IT),
    ],
    ['POST /jobs/enable', post('/jobs/enable', { vpc: 'DEV', job }, NAMES_IT)],
    [
      'GET /jobs/compare (relative)',
      get('/jobs/compare', { job, vpcs: 'DEV,STG' }, NAMES_IT),
    ],
    [
      'GET /jobs/compare (full name)',
      get('/jobs/compare', { vpc: 'DEV', job, vpcs: 'DEV,STG' }, NAMES_IT),
    ],
    [
      'POST /jobs/promote',
      post('/jobs/promote', { job, from: 'DEV', to: 'STG' }, NAMES_IT),
    ],
    [
      'POST /jobs/create (name)',
      post('/jobs/create', { ...SPEC, name: job }, NAMES_IT),
    ],
    [
      'POST /jobs/create (folder)',
      post('/jobs/create', { ...SPEC, folder: job }, NAMES_IT),
    ],
    [
      'POST /jobs/update (name)',
      post('/jobs/update', { ...SPEC, name: job }, NAMES_IT),
    ],
    [
      'POST /vpcs/DEV/workers/redeploy',
      post('/vpcs/DEV/workers/redeploy', { jobs: [job] }, NAMES_IT),
    ],
    ['GET /vpcs/:vpc/workers', get(`/vpcs/${enc(job)}/workers`, {}, NAMES_IT)],
    [
      'GET /vpcs/:vpc/timeline',
      get(`/vpcs/${enc(job)}/timeline`, {}, NAMES_IT),
    ],
    [
      'POST /routines/:id/run',
      post(`/routines/${enc(job)}/run`, { dryRun: true }, NAMES_IT),
    ],
    ['GET /routines/:id/runs', get(`/routines/${enc(job)}/runs`, {}, NAMES_IT)],
    [
      'GET /routines/runs/:runId',
      get(`/routines/runs/${enc(job)}`, {}, NAMES_IT),
    ],
    ['GET /operations/:id', get(`/operations/${enc(job)}`, {}, NAMES_IT)],
    ['GET /approvals/:id', get(`/approvals/${enc(job)}`, {}, NAMES_IT)],
    [
      'POST /approvals/:id/approve',
      post(`/approvals/${enc(job)}/approve`, {}, NAMES_IT),
    ],
    [
      'POST /approvals/:id/execute',
      post(`/approvals/${enc(job)}/execute`, {}, NAMES_IT),
    ],
    [
      'POST /approvals/:id/reject',
      post(`/approvals/${enc(job)}/reject`, {}, NAMES_IT),
    ],
  ];
}

describe('bad input on the routines, operations, controls, job config and timeline routes', () => {
  let sandbox: Sandbox;
  let server: any;
  /** Every response's headers and body, to search for secrets. */
  const responses: string[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = (
      await startSandboxBackend(sandbox, {
        jenkins: { timeoutMs: 2000, readRetries: undefined },
        aws: {
          credentials: {
            accessKeyId: 'AKIASANDBOX',
            secretAccessKey: AWS_SECRET,
          },
        },
        features: loggerFeatures,
      })
    ).server;
  });

  afterAll(() => closeSandbox(sandbox));

  async function send(c: Case): Promise<request.Response> {
    const url = `/api/batch-jobs${c.path}`;
    let res: request.Response;
    if (c.method === 'GET') {
      res = await request(server)
        .get(url)
        .query(c.query ?? {})
        .set('Authorization', JANE);
    } else {
      const r = request(server)
        .post(url)
        .set('Authorization', JANE)
        .set('Content-Type', 'application/json');
      res = await r.send(
        c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
      );
    }
    responses.push(`${JSON.stringify(res.headers)} ${res.text ?? ''}`);
    return res;
  }

  /** status and message, so a failure names the route and what it said. */
  const outcome = (res: request.Response) => ({
    status: res.status,
    json: /application\/json/.test(res.headers['content-type'] ?? ''),
    message: res.body?.error?.message,
  });

  /** The failing rows, so one run names every route that got it wrong. */
  const check = (label: string, c: Case, res: request.Response) => {
    const got = outcome(res);
    const ok =
      got.status >= 400 &&
      got.status < 500 &&
      got.json &&
      typeof got.message === 'string' &&
      got.message.length > 5 &&
      c.says.test(got.message);
    return ok ? [] : [{ label, ...got }];
  };
  /** Writes to Jenkins (builds, config, create, disable): bad input makes none. */
  const writes = () => sandbox.requests.filter(r => r.method !== 'GET').length;

  describe.each([
    ['routines', ROUTINES],
    ['operations and approvals', OPERATIONS],
    ['controls', CONTROLS],
    ['job config', JOB_CONFIG],
    ['timeline', TIMELINE],
  ] as const)('%s', (_group, rows) => {
    it.each(rows as Row[])('%s → 4xx naming the problem', async (label, c) => {
      expect(check(label, c, await send(c))).toEqual([]);
    });
  });

  it.each(BAD_JOBS.map(job => [job.slice(0, 40), job]))(
    'every job, VPC or id parameter refuses %j with a 4xx and a message, and starts nothing',
    async (_label, job) => {
      const before = writes();
      const failures = [];
      for (const [label, c] of jobRoutes(job)) {
        const res = await send(c);
        failures.push(...check(label, c, res));
      }
      expect(failures).toEqual([]);
      expect(writes()).toBe(before);
    },
  );

  it('leaks no Jenkins token, password or AWS secret in any response', () => {
    const secrets = [
      sandbox.credentials.apiToken,
      Buffer.from(`admin:${sandbox.credentials.apiToken}`).toString('base64'),
      Buffer.from(`admin:${sandbox.credentials.password}`).toString('base64'),
      AWS_SECRET,
    ];
    expect(responses.length).toBeGreaterThan(150);
    for (const secret of secrets) {
      expect(responses.filter(r => r.includes(secret))).toEqual([]);
      expect(logLines.filter(l => l.includes(secret))).toEqual([]);
    }
  });
});
