import {
  component,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attack 7: the entity page as an oracle. Mallory cannot read other teams'
 * jobs, but she writes her own entity's annotation: if the answer differed
 * between "no such folder", "no such job" and "jobs exist but are bound to
 * others" (or counted them), she could map which folders and jobs exist,
 * one registration at a time. Each of her probes gets the same answer, with
 * only her own selector in it.
 */

jest.setTimeout(120_000);

const PROBES = {
  'probe-missing-folder': 'no-such-team/*',
  'probe-missing-job': 'payments-settlement/no-such-job',
  'probe-existing-jobs': 'payments-settlement/*',
  'probe-existing-job': 'payments-settlement/daily-settlement-report',
  'probe-existing-folder': 'data-platform',
};

/** The same probes in the community plugin's annotation: full names from the root. */
const COMMUNITY_PROBES = {
  'probe-full-missing-folder': 'DEV/no-such-team',
  'probe-full-missing-job': 'DEV/payments-settlement/no-such-job',
  'probe-full-existing-folder': 'DEV/payments-settlement',
  'probe-full-existing-job': 'DEV/payments-settlement/daily-settlement-report',
  'probe-full-other-folder': 'DEV/data-platform',
};

describe('attack 7: annotations do not tell which folders and jobs exist', () => {
  let backend: SecurityBackend;

  beforeAll(async () => {
    backend = await startSecurityBackend();
    await backend.register(USERS.mallory, 'probes', [
      ...Object.entries(PROBES).map(([name, selector]) =>
        component(name, 'group:default/team-mallory', {
          'batch-jobs.io/jobs': selector,
        }),
      ),
      ...Object.entries(COMMUNITY_PROBES).map(([name, fullName]) =>
        component(name, 'group:default/team-mallory', {
          'jenkins.io/job-full-name': fullName,
        }),
      ),
    ]);
  });

  afterAll(() => backend?.close());

  it.each([
    ['batch-jobs.io/jobs', PROBES],
    ['jenkins.io/job-full-name', COMMUNITY_PROBES],
  ])(
    'answers every %s probe alike, in every VPC, without job data',
    async (_annotation, probes) => {
      const answers: Record<string, unknown> = {};
      for (const [name, selector] of Object.entries(probes)) {
        const res = await backend
          .as(USERS.mallory)
          .get(`/entity/default/component/${name}/jobs`);
        expect(res.status).toBe(200);
        // Her own selector and entity replaced, what is left must not differ.
        answers[name] = JSON.parse(
          JSON.stringify(res.body.vpcs)
            .split(selector)
            .join('<selector>')
            .split(`component:default/${name}`)
            .join('<entity>')
            .split(selector.split('/').pop()!)
            .join('<last>'),
        );
        for (const vpc of res.body.vpcs) {
          for (const job of vpc.jobs) {
            expect(job.lastBuild ?? null).toBeNull();
            expect(job.error).toEqual(
              expect.stringContaining('selects no job bound to'),
            );
          }
        }
      }
      const distinct = new Set(
        Object.values(answers).map(a => JSON.stringify(a)),
      );
      expect([...distinct]).toHaveLength(1);
    },
  );
});
