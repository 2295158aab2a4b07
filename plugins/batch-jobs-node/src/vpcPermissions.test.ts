import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createPermissionIntegrationRouter,
} from '@backstage/plugin-permission-node';
import {
  BATCH_JOBS_VPC_RESOURCE_TYPE,
  batchJobsAgentLaunchPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import express from 'express';
import request from 'supertest';
import {
  batchJobsVpcConditions,
  batchJobsVpcRules,
  createBatchJobsVpcConditionalDecision,
} from './vpcPermissions';

const DEV = { name: 'DEV', requireApproval: false };
const PROD = { name: 'PROD', requireApproval: true };

const authorize = createConditionAuthorizer(Object.values(batchJobsVpcRules));

describe('batch-jobs-vpc conditions', () => {
  it('builds the decision a policy returns', () => {
    expect(
      createBatchJobsVpcConditionalDecision(
        batchJobsAgentLaunchPermission,
        batchJobsVpcConditions.isInVpc({ vpcs: ['DEV'] }),
      ),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'batch-jobs',
      resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
      conditions: {
        rule: 'IS_IN_VPC',
        resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
        params: { vpcs: ['DEV'] },
      },
    });
  });

  it('isInVpc allows the named VPCs only, by exact name', () => {
    const decision = createBatchJobsVpcConditionalDecision(
      batchJobsAgentLaunchPermission,
      batchJobsVpcConditions.isInVpc({ vpcs: ['DEV', 'STG'] }),
    );
    expect(authorize(decision, DEV)).toBe(true);
    expect(authorize(decision, PROD)).toBe(false);
    expect(authorize(decision, { ...DEV, name: 'dev' })).toBe(false);
    // A malformed policy never matches by substring: it fails, so nothing is allowed.
    const malformed = createBatchJobsVpcConditionalDecision(
      batchJobsAgentLaunchPermission,
      {
        rule: 'IS_IN_VPC',
        resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
        params: { vpcs: 'DEV,PROD' },
      } as any,
    );
    expect(() => authorize(malformed, PROD)).toThrow(
      'Parameters to rule are invalid',
    );
  });

  it('requiresApproval, alone and negated', () => {
    const gated = createBatchJobsVpcConditionalDecision(
      batchJobsAgentLaunchPermission,
      batchJobsVpcConditions.requiresApproval(),
    );
    expect(authorize(gated, PROD)).toBe(true);
    expect(authorize(gated, DEV)).toBe(false);
    const ungated = createBatchJobsVpcConditionalDecision(
      batchJobsAgentLaunchPermission,
      { not: batchJobsVpcConditions.requiresApproval() },
    );
    expect(authorize(ungated, DEV)).toBe(true);
    expect(authorize(ungated, PROD)).toBe(false);
  });

  it('publishes JSON Schemas of the params and validates them', async () => {
    // What the permission backend and policy tooling (RBAC UI) read.
    const router = createPermissionIntegrationRouter({
      resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
      permissions: [
        createPermission({
          name: 'x',
          attributes: {},
          resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
        }),
      ],
      rules: Object.values(batchJobsVpcRules),
      getResources: async refs =>
        refs.map(ref => [DEV, PROD].find(v => v.name === ref)),
    });
    const app = express()
      .use(router)
      // What the backend's error handler makes of @backstage/errors.
      .use((error: Error, _req: any, res: any, _next: any) => {
        res.status(error.name === 'InputError' ? 400 : 500).json({
          name: error.name,
          message: error.message,
        });
      });
    const metadata = await request(app).get(
      '/.well-known/backstage/permissions/metadata',
    );
    expect(metadata.status).toBe(200);
    const rule = metadata.body.rules.find((r: any) => r.name === 'IS_IN_VPC');
    expect(rule.paramsSchema).toMatchObject({
      type: 'object',
      properties: { vpcs: { type: 'array', items: { type: 'string' } } },
      required: ['vpcs'],
    });

    const apply = (params: unknown) =>
      request(app)
        .post('/.well-known/backstage/permissions/apply-conditions')
        .send({
          items: [
            {
              id: '1',
              resourceRef: 'PROD',
              resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
              conditions: {
                rule: 'IS_IN_VPC',
                resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
                params,
              },
            },
          ],
        });
    const allowed = await apply({ vpcs: ['PROD'] });
    expect(allowed.body.items).toEqual([
      { id: '1', result: AuthorizeResult.ALLOW },
    ]);
    const invalid = await apply({ vpcs: 'PROD' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toBe(
      'Parameters to rule are invalid; caused by Error: Invalid input: expected array, received string',
    );
  });
});
