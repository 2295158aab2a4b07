import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
  isResourcePermission,
  Permission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  BATCH_JOBS_VPC_RESOURCE_TYPE,
  batchJobsAgentLaunchPermission,
  batchJobsAgentTerminatePermission,
  batchJobsApprovePermission,
  batchJobsBuildRerunPermission,
  batchJobsJobPausePermission,
  batchJobsJobPromotePermission,
  batchJobsPermissions,
  batchJobsRoutineRunPermission,
  batchJobsVpcReadPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsPermissionPolicy } from './policy';

/** Who belongs to which group, as the auth backend's sign-in would say. */
const GROUPS: Record<string, string[]> = {
  'user:default/olga': ['group:default/batch-operators'],
  'user:default/alan': ['group:default/release-managers'],
  'user:default/jane': ['group:default/team-payments'],
  'user:default/vera': ['group:default/auditors'],
  'user:default/dora': ['group:default/dev-ops'],
  'user:default/sam': [],
};

const userInfo = {
  async getUserInfo(credentials: any) {
    const userEntityRef = credentials.principal.userEntityRef as string;
    return {
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, ...(GROUPS[userEntityRef] ?? [])],
    };
  },
};

async function user(ref: string): Promise<PolicyQueryUser> {
  const credentials = mockCredentials.user(ref);
  return { credentials, info: await userInfo.getUserInfo(credentials) };
}

function policy(permissions?: object, fallback?: PermissionPolicy) {
  const logger = mockServices.logger.mock();
  const config = new ConfigReader(
    permissions ? { batchJobs: { permissions } } : { batchJobs: {} },
  );
  return {
    logger,
    policy: BatchJobsPermissionPolicy.fromConfig(config, {
      logger,
      userInfo,
      fallback,
    }),
  };
}

/** Runs `fn` with NODE_ENV set (jest runs with `test`). */
function withNodeEnv<T>(value: string, fn: () => T): T {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = value;
  try {
    return fn();
  } finally {
    process.env.NODE_ENV = saved;
  }
}

const catalogDelete = createPermission({
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
  resourceType: 'catalog-entity',
});

const CONFIGURED = {
  operators: ['group:default/batch-operators'],
  approvers: ['group:release-managers'],
};

async function decide(
  p: BatchJobsPermissionPolicy,
  permission: Permission,
  ref: string,
) {
  return p.handle({ permission }, await user(ref));
}

describe('BatchJobsPermissionPolicy', () => {
  it('allows an operator every Batch Jobs action, through their group', async () => {
    const { policy: p } = policy(CONFIGURED);
    for (const permission of batchJobsPermissions) {
      expect(await decide(p, permission, 'user:default/olga')).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('allows an approver to approve and the VPC views, and nothing else beyond what they own', async () => {
    const { policy: p } = policy(CONFIGURED);
    expect(
      await decide(p, batchJobsApprovePermission, 'user:default/alan'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    // Approvers review what they approve against the VPC's state.
    expect(
      await decide(p, batchJobsVpcReadPermission, 'user:default/alan'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/alan'),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await decide(p, batchJobsRoutineRunPermission, 'user:default/alan'),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('hands entity-bound actions to the catalog: allowed on entities the user or their groups own', async () => {
    const { policy: p } = policy(CONFIGURED);
    for (const permission of [
      batchJobsBuildRerunPermission,
      batchJobsJobPausePermission,
    ]) {
      expect(await decide(p, permission, 'user:default/jane')).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: {
            claims: ['user:default/jane', 'group:default/team-payments'],
          },
        },
      });
    }
    // Owning an entity grants nothing beyond it.
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/jane'),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await decide(p, batchJobsApprovePermission, 'user:default/jane'),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('denies entity-bound actions to owners when entityOwnersMayAct is false', async () => {
    const { policy: p } = policy({ ...CONFIGURED, entityOwnersMayAct: false });
    expect(
      await decide(p, batchJobsBuildRerunPermission, 'user:default/jane'),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await decide(p, batchJobsBuildRerunPermission, 'user:default/olga'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('denies a stranger every basic Batch Jobs action, and with no user every action', async () => {
    const { policy: p } = policy(CONFIGURED);
    for (const permission of batchJobsPermissions.filter(
      q => q.type === 'basic',
    )) {
      expect(await decide(p, permission, 'user:default/sam')).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    expect(
      await p.handle({ permission: batchJobsBuildRerunPermission }),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('denies a Batch Jobs permission it does not know yet to all but operators', async () => {
    const { policy: p } = policy(CONFIGURED);
    const future = createPermission({
      name: 'batch-jobs.something.new',
      attributes: {},
    });
    expect(await decide(p, future, 'user:default/alan')).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(await decide(p, future, 'user:default/olga')).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('never decides another plugin’s permission: denied by default', async () => {
    const { policy: p } = policy(CONFIGURED);
    for (const ref of ['user:default/sam', 'user:default/olga']) {
      expect(await decide(p, catalogDelete, ref)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('hands another plugin’s permission, with its user, to the fallback policy', async () => {
    const fallback = {
      handle: jest.fn(async () => ({ result: AuthorizeResult.ALLOW })),
    };
    const { policy: p } = policy(CONFIGURED, fallback as PermissionPolicy);
    const sam = await user('user:default/sam');
    expect(await p.handle({ permission: catalogDelete }, sam)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(fallback.handle).toHaveBeenCalledWith(
      { permission: catalogDelete },
      sam,
    );
    // Batch Jobs permissions never reach the fallback.
    expect(
      await decide(p, batchJobsRoutineRunPermission, 'user:default/sam'),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(fallback.handle).toHaveBeenCalledTimes(1);
  });

  it('allows viewers the VPC views only', async () => {
    const { policy: p } = policy({
      ...CONFIGURED,
      viewers: ['group:default/auditors'],
    });
    expect(
      await decide(p, batchJobsVpcReadPermission, 'user:default/vera'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    // No action: every other permission not bound to an entity is denied.
    for (const permission of batchJobsPermissions.filter(
      q =>
        q !== batchJobsVpcReadPermission &&
        !isResourcePermission(q, 'catalog-entity'),
    )) {
      expect(await decide(p, permission, 'user:default/vera')).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    // Not everyone: a stranger gets no VPC view.
    expect(
      await decide(p, batchJobsVpcReadPermission, 'user:default/sam'),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('limits an operator entry with vpcs to VPC-scoped permissions in those VPCs', async () => {
    const { policy: p } = policy({
      ...CONFIGURED,
      operators: [
        ...CONFIGURED.operators,
        { ref: 'group:default/dev-ops', vpcs: ['DEV', 'STG'] },
      ],
    });
    for (const permission of [
      batchJobsAgentLaunchPermission,
      batchJobsAgentTerminatePermission,
      batchJobsJobPromotePermission,
      batchJobsVpcReadPermission,
    ]) {
      expect(await decide(p, permission, 'user:default/dora')).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'batch-jobs',
        resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
        conditions: {
          rule: 'IS_IN_VPC',
          resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
          params: { vpcs: ['DEV', 'STG'] },
        },
      });
    }
    // Fleet-wide and approval permissions are not VPC-scoped: not granted.
    for (const permission of [
      batchJobsRoutineRunPermission,
      batchJobsApprovePermission,
    ]) {
      expect(await decide(p, permission, 'user:default/dora')).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    // Entity-bound ones: as any user, through entity ownership.
    expect(
      await decide(p, batchJobsBuildRerunPermission, 'user:default/dora'),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
    });
    // The unrestricted operator stays unrestricted.
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/olga'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('an unrestricted entry wins over a VPC-limited one for the same user', async () => {
    const { policy: p } = policy({
      operators: [
        { ref: 'group:default/dev-ops', vpcs: ['DEV'] },
        'user:default/dora',
      ],
    });
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/dora'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('matches refs case-insensitively', async () => {
    const { policy: p } = policy({ operators: ['User:Default/Sam'] });
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/sam'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('without batchJobs.permissions, denies every Batch Jobs action and warns once', async () => {
    const fallback = {
      handle: jest.fn(async () => ({ result: AuthorizeResult.ALLOW })),
    };
    const { policy: p, logger } = withNodeEnv('production', () =>
      policy(undefined, fallback as PermissionPolicy),
    );
    for (const permission of batchJobsPermissions) {
      expect(await decide(p, permission, 'user:default/olga')).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    expect(fallback.handle).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain(
      'No batchJobs.permissions in the configuration: every Batch Jobs action is denied',
    );
  });

  it('without batchJobs.permissions under NODE_ENV=development, allows every Batch Jobs action and warns once', async () => {
    const { policy: p, logger } = withNodeEnv('development', () => policy());
    for (const permission of batchJobsPermissions) {
      expect(await decide(p, permission, 'user:default/sam')).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    // Still only Batch Jobs: other plugins' permissions stay with the fallback.
    expect(await decide(p, catalogDelete, 'user:default/sam')).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain(
      'No batchJobs.permissions in the configuration and NODE_ENV=development',
    );
  });

  it('does not warn when the section is set', () => {
    const { logger } = policy(CONFIGURED);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('fails fast on a ref that is not a user or a group, naming the key', () => {
    expect(() => policy({ operators: ['user:default/olga', 'jane'] })).toThrow(
      "Invalid batchJobs.permissions.operators[1] 'jane'",
    );
    expect(() =>
      policy({ approvers: ['component:default/payments-settlement'] }),
    ).toThrow(
      "Invalid batchJobs.permissions.approvers[0] 'component:default/payments-settlement': expected a user or group ref",
    );
    expect(() =>
      policy({ viewers: ['component:default/payments-settlement'] }),
    ).toThrow(
      "Invalid batchJobs.permissions.viewers[0] 'component:default/payments-settlement': expected a user or group ref",
    );
  });

  it('fails fast on a bad operator entry, naming the key', () => {
    expect(() =>
      policy({ operators: [{ ref: 'group:default/dev-ops', vpcs: [] }] }),
    ).toThrow(
      'Invalid batchJobs.permissions.operators[0].vpcs: expected a non-empty list of VPC names',
    );
    expect(() =>
      policy({ operators: ['user:default/olga', { vpcs: ['DEV'] }] }),
    ).toThrow('Invalid batchJobs.permissions.operators[1].ref');
    expect(() =>
      policy({ operators: [{ ref: 'group:default/dev-ops', vpc: 'DEV' }] }),
    ).toThrow(
      "Invalid batchJobs.permissions.operators[0]: unknown key 'vpc' (expected ref, vpcs)",
    );
    expect(() =>
      policy({ operators: [{ ref: 'component:default/x', vpcs: ['DEV'] }] }),
    ).toThrow(
      "Invalid batchJobs.permissions.operators[0].ref 'component:default/x': expected a user or group ref",
    );
  });
});
