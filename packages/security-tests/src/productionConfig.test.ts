import { ConfigSources } from '@backstage/config-loader';
import { JsonObject } from '@backstage/types';
import { Sandbox } from '@internal/batch-jobs-sandbox';
import path from 'node:path';
import {
  jenkinsWrites,
  mark,
  OWNERSHIP,
  PAYMENTS_SETTLEMENT,
  PERMISSIONS,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attack 6: the production config turns the gate off. Backstage replaces
 * arrays when it merges config files, so a `vpcs` list in
 * app-config.production.yaml without `requireApproval` silently dropped
 * PROD's four eyes, and the demo's grants survived the merge. The suite
 * loads the two files exactly as `backstage-cli`/the backend does
 * (`--config app-config.yaml --config app-config.production.yaml`, env
 * substitution), checks the merged result, then starts the Batch Jobs
 * backend on it (Jenkins pointed at the sandbox through the environment
 * variables the file reads, plus an adopter's own permissions and
 * ownership layer) and plays a PROD rerun: it is held.
 */

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');

/** The merged production config, with `env` as the process environment. */
async function loadProductionConfig(env: Record<string, string>) {
  const source = ConfigSources.default({
    rootDir: ROOT,
    argv: [
      '--config',
      path.join(ROOT, 'app-config.yaml'),
      '--config',
      path.join(ROOT, 'app-config.production.yaml'),
    ],
    substitutionFunc: async name => env[name],
  });
  const config = await ConfigSources.toConfig(source);
  const data = config.get() as JsonObject;
  config.close();
  return data;
}

const ENV = {
  APP_BASE_URL: 'https://portal.example.com',
  BACKEND_BASE_URL: 'https://portal.example.com',
  BACKEND_SECRET: 'a-secret-of-the-deployment',
  POSTGRES_HOST: 'db',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'backstage',
  POSTGRES_PASSWORD: 'pw',
  REDIS_URL: 'redis://cache:6379',
};

describe('attack 6: the production config keeps the gate', () => {
  it('merged as Backstage merges, PROD still requires approval and no demo grant or sandbox endpoint survives', async () => {
    const merged = await loadProductionConfig({
      ...ENV,
      JENKINS_URL: 'https://jenkins.example.com',
      JENKINS_USER: 'portal',
      JENKINS_API_TOKEN: 'token',
    });
    const batchJobs = merged.batchJobs as any;
    const vpcs = Object.fromEntries(
      (batchJobs.vpcs as any[]).map(v => [v.name, v]),
    );
    expect(vpcs.PROD?.requireApproval).toBe(true);
    const text = JSON.stringify(batchJobs);
    expect(text).not.toContain('user:development/guest');
    expect(text).not.toMatch(/localhost:4566|sandbox-token/);
  });

  describe('a backend started on it', () => {
    let backend: SecurityBackend;
    let sandbox: Sandbox;

    beforeAll(async () => {
      backend = await startSecurityBackend({
        batchJobsFor: async s => {
          const merged = await loadProductionConfig({
            ...ENV,
            JENKINS_URL: s.jenkinsUrl,
            JENKINS_USER: s.credentials.username,
            JENKINS_API_TOKEN: s.credentials.apiToken,
          });
          // The adopter's own layer: who may act, which entity owns what.
          return {
            ...(merged.batchJobs as JsonObject),
            permissions: PERMISSIONS,
            ownership: OWNERSHIP,
            cache: { ttlSeconds: 0 },
          };
        },
      });
      sandbox = backend.sandbox;
      await backend.register(USERS.jane, 'payments', [PAYMENTS_SETTLEMENT]);
    });

    afterAll(() => backend?.close());

    it('holds a PROD rerun for approval: nothing reaches Jenkins', async () => {
      const job = 'PROD/payments-settlement/daily-settlement-report';
      const number = (sandbox.world.item(job) as any).builds
        .filter((b: any) => b.result !== null)
        .at(-1).number;
      const before = mark(sandbox);
      const res = await backend
        .as(USERS.jane)
        .post('/builds/rerun', { vpc: 'PROD', job, number });
      expect(res.status).toBe(202);
      expect(res.body.approvalRequired).toBe(true);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([]);
    });

    it('control: a DEV rerun on the same config acts at once', async () => {
      const job = 'DEV/payments-settlement/daily-settlement-report';
      const number = (sandbox.world.item(job) as any).builds
        .filter((b: any) => b.result !== null)
        .at(-1).number;
      const before = mark(sandbox);
      const res = await backend
        .as(USERS.jane)
        .post('/builds/rerun', { vpc: 'DEV', job, number });
      expect(res.status).toBe(202);
      expect(res.body.approvalRequired).toBeUndefined();
      expect(jenkinsWrites(sandbox, before.jenkins)).toHaveLength(1);
    });
  });
});
