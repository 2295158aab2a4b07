import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Config, ConfigReader } from '@backstage/config';
import { ConfigSources, loadConfigSchema } from '@backstage/config-loader';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { batchJobsPermissions } from '@batch-jobs/plugin-batch-jobs-common';
// The backend plugin exports only its plugin; its config reader is what it
// runs at start-up, so the test calls that very function.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import { readBatchJobsConfig } from '@batch-jobs/plugin-batch-jobs-backend';
import { BatchJobsPermissionPolicy } from '@batch-jobs/plugin-permission-backend-module-batch-jobs-policy';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { allowOtherPlugins } from './permissionPolicy';

/*
 * The configuration files as shipped, loaded the way the backend loads them
 * (`--config app-config.yaml --config app-config.production.yaml`: objects
 * merged key by key, arrays replaced whole, `${VAR}` substituted).
 */

const ROOT = path.resolve(__dirname, '../../..');

/** Every environment variable app-config.production.yaml reads, as a deployment sets them. */
const PRODUCTION_ENV: Record<string, string> = {
  APP_BASE_URL: 'https://portal.example.com',
  BACKEND_BASE_URL: 'https://portal.example.com',
  BACKEND_SECRET: 'a-secret-of-the-deployment',
  POSTGRES_HOST: 'db.example.com',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'backstage',
  POSTGRES_PASSWORD: 'pw',
  REDIS_URL: 'redis://cache.example.com:6379',
  JENKINS_URL: 'https://jenkins.example.com',
  JENKINS_USER: 'svc-backstage',
  JENKINS_API_TOKEN: 'a-real-token',
};

async function load(files: string[], env: Record<string, string>) {
  const source = ConfigSources.default({
    rootDir: ROOT,
    argv: files.flatMap(f => ['--config', path.join(ROOT, f)]),
    // Only these variables: nothing from the machine running the test.
    substitutionFunc: async name => env[name],
    env: {},
  });
  const config = await ConfigSources.toConfig(source);
  const data = config.get();
  config.close();
  return new ConfigReader(data as any);
}

const loadProduction = () =>
  load(['app-config.yaml', 'app-config.production.yaml'], PRODUCTION_ENV);
// No variables set: the demo's defaults (the sandbox) apply.
const loadDevelopment = () =>
  load(['app-config.yaml', 'app-config.development.yaml'], {});

/** Every config schema (config.d.ts) of the backend's plugins, as the backend validates at start. */
let schemaPromise: ReturnType<typeof loadConfigSchema> | undefined;
async function validate(data: object) {
  schemaPromise ??= loadConfigSchema({
    dependencies: ['backend'],
    packagePaths: [path.join(ROOT, 'package.json')],
  });
  (await schemaPromise).process([{ context: 'merged', data: data as any }], {
    visibility: ['frontend', 'backend', 'secret'],
  });
}

function policyOf(config: Config, nodeEnv: string) {
  const logger = mockServices.logger.mock();
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = nodeEnv;
  try {
    const policy = BatchJobsPermissionPolicy.fromConfig(config, {
      logger,
      // Not reached when batchJobs.permissions is missing.
      userInfo: mockServices.userInfo(),
      fallback: allowOtherPlugins,
    });
    return { policy, logger };
  } finally {
    process.env.NODE_ENV = saved;
  }
}

describe('app-config.production.yaml merged over app-config.yaml', () => {
  let config: Config;
  beforeAll(async () => {
    config = await loadProduction();
  });

  it('keeps the four-eyes gate on PROD, and only there', () => {
    const vpcs = config.getConfigArray('batchJobs.vpcs');
    expect(vpcs.map(v => v.getString('name'))).toEqual(['DEV', 'STG', 'PROD']);
    const prod = vpcs.find(v => v.getString('name') === 'PROD')!;
    expect(prod.getBoolean('requireApproval')).toBe(true);
  });

  it('has no guest sign-in', () => {
    expect(
      config.getOptionalConfig('auth.providers')?.keys() ?? [],
    ).not.toContain('guest');
    expect(config.getOptionalString('auth.environment')).toBe('production');
  });

  it('grants nothing to the demo guest, nor to anyone by default', () => {
    expect(JSON.stringify(config.get())).not.toMatch(/guest/i);
    // The adopter sets who may act: the policy then denies until they do.
    expect(config.has('batchJobs.permissions')).toBe(false);
  });

  it('points at no local or sandbox endpoint and holds no sandbox key', () => {
    const text = JSON.stringify(config.get());
    expect(text).not.toMatch(/localhost|127\.0\.0\.1|:4566|:8080/);
    expect(text).not.toMatch(/sandbox/i);
    expect(
      config.getConfigArray('batchJobs.jenkins')[0].getString('apiToken'),
    ).toBe('a-real-token');
    expect(config.getString('backend.database.client')).toBe('pg');
  });

  it('has the permission framework on', () => {
    expect(config.getBoolean('permission.enabled')).toBe(true);
  });

  it("matches every plugin's config schema, and so does an adopter's permissions section", async () => {
    const data = config.get() as any;
    await expect(validate(data)).resolves.toBeUndefined();
    const withPermissions = (permissions: object) => ({
      ...data,
      batchJobs: { ...data.batchJobs, permissions },
    });
    await expect(
      validate(
        withPermissions({
          operators: [
            'group:default/platform-ops',
            { ref: 'group:default/dev-ops', vpcs: ['DEV', 'STG'] },
          ],
          approvers: ['group:default/release-managers'],
          viewers: ['group:default/support'],
        }),
      ),
    ).resolves.toBeUndefined();
    // Control: the validation does reject a bad value.
    await expect(validate(withPermissions({ operators: 5 }))).rejects.toThrow(
      'Config validation failed',
    );
  }, 60_000);

  it('is accepted by the Batch Jobs backend', () => {
    const batchJobs = readBatchJobsConfig(config);
    expect(
      batchJobs.vpcs.map(v => [v.name, v.requireApproval, v.jenkins]),
    ).toEqual([
      ['DEV', false, 'main'],
      ['STG', false, 'main'],
      ['PROD', true, 'main'],
    ]);
    expect(batchJobs.jenkins.map(j => j.baseUrl)).toEqual([
      'https://jenkins.example.com',
    ]);
  });

  it("gives the portal's policy no Batch Jobs grant: every action denied, and said at start-up", async () => {
    const { policy, logger } = policyOf(config, 'production');
    const user = { credentials: mockCredentials.user('user:default/olga') };
    for (const permission of batchJobsPermissions) {
      expect(await policy.handle({ permission }, user as any)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('every Batch Jobs action is denied'),
    );
  });
});

describe('app-config.development.yaml merged over app-config.yaml (the demo)', () => {
  let config: Config;
  beforeAll(async () => {
    config = await loadDevelopment();
  });

  it('signs in the guest, points at the sandbox and makes the guest operator and approver', () => {
    expect(config.getConfig('auth.providers').keys()).toContain('guest');
    expect(
      config.getConfigArray('batchJobs.jenkins')[0].getString('baseUrl'),
    ).toBe('http://localhost:8080');
    expect(config.getStringArray('batchJobs.permissions.operators')).toEqual([
      'user:development/guest',
    ]);
    expect(config.getStringArray('batchJobs.permissions.approvers')).toEqual([
      'user:development/guest',
    ]);
    const prod = config
      .getConfigArray('batchJobs.vpcs')
      .find(v => v.getString('name') === 'PROD')!;
    expect(prod.getBoolean('requireApproval')).toBe(true);
    expect(readBatchJobsConfig(config).vpcs).toHaveLength(3);
  });

  it("matches every plugin's config schema", async () => {
    await expect(validate(config.get())).resolves.toBeUndefined();
  }, 60_000);

  it('binds every example entity with batch-jobs.io/jobs to its jobs, selector for selector', () => {
    const annotated = parseAllDocuments(
      fs.readFileSync(path.join(ROOT, 'examples/entities.yaml'), 'utf8'),
    )
      .map(doc => doc.toJSON())
      .filter(e => e?.metadata?.annotations?.['batch-jobs.io/jobs'])
      .map(e => ({
        entity: `${e.kind.toLocaleLowerCase('en-US')}:${
          e.metadata.namespace ?? 'default'
        }/${e.metadata.name}`,
        jobs: String(e.metadata.annotations['batch-jobs.io/jobs'])
          .split(',')
          .map(s => s.trim())
          // A top-level `*` claims nothing, so it is never bound.
          .filter(s => s && s !== '*'),
      }));
    expect(annotated.length).toBeGreaterThan(0);
    const bindings = config.getConfigArray('batchJobs.ownership').map(b => ({
      entity: b.getString('entity'),
      jobs: b.getStringArray('jobs'),
    }));
    expect(bindings).toEqual(annotated);
  });
});
