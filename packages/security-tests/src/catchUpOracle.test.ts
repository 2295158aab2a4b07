import {
  jenkinsWrites,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attack 8: a VPC-wide catch-up as an oracle. Jane may run her own team's
 * jobs but not read the whole VPC. A catch-up of "all" missed runs of DEV
 * would check her right on every job with a missed run, and a refusal
 * naming the first job she may not run would tell her which other teams'
 * jobs exist (and missed their runs). The catch-up, and stopping one, need
 * the VPC read first; the refusal names the permission, never a job.
 */

jest.setTimeout(120_000);

describe('attack 8: a VPC-wide catch-up does not reveal other teams’ jobs', () => {
  let backend: SecurityBackend;

  beforeAll(async () => {
    backend = await startSecurityBackend();
  });

  afterAll(() => backend?.close());

  it.each([
    ['an entity owner', USERS.jane],
    ['an outsider', USERS.mallory],
  ])(
    'refuses %s a catch-up of every job, and a stop, naming only the permission',
    async (_who, user) => {
      const since = backend.sandbox.requests.length;
      const start = await backend
        .as(user)
        .post('/vpcs/DEV/catch-up', { choice: 'all' });
      expect(start.status).toBe(403);
      expect(start.body.error.message).toBe(
        "You may not read the missed runs of every job of VPC 'DEV' (batch-jobs.vpc.read)",
      );
      const stop = await backend
        .as(user)
        .post('/vpcs/DEV/catch-up/00000000-0000-4000-8000-000000000000/stop');
      expect(stop.status).toBe(403);
      expect(stop.body.error.message).toMatch(/batch-jobs\.vpc\.read/);
      expect(stop.body.error.message).not.toMatch(/DEV\//);
      expect(jenkinsWrites(backend.sandbox, since)).toEqual([]);
    },
  );

  it('lets an operator, who reads the VPC, past the check', async () => {
    const res = await backend
      .as(USERS.olga)
      .post('/vpcs/DEV/catch-up', { choice: 'all' });
    // No outage happened (and no run is judged before the oldest build
    // Jenkins keeps): nothing to catch up, said as such.
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^Nothing to catch up in VPC DEV/);
  });
});
