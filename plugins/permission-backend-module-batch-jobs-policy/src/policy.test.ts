import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  batchJobsAgentLaunchPermission,
  batchJobsApprovePermission,
  batchJobsBuildRerunPermission,
  batchJobsJobPausePermission,
  batchJobsPermissions,
  batchJobsRoutineRunPermission,
} from '@internal/plugin-batch-jobs-common';
import { BatchJobsPermissionPolicy } from './policy';

/** Who belongs to which group, as the auth backend's sign-in would say. */
const GROUPS: Record<string, string[]> = {
  'user:default/olga': ['group:default/batch-operators'],
  'user:default/alan': ['group:default/release-managers'],
  'user:default/jane': ['group:default/team-payments'],
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

function policy(permissions?: object) {
  const logger = mockServices.logger.mock();
  const config = new ConfigReader(
    permissions ? { batchJobs: { permissions } } : { batchJobs: {} },
  );
  return {
    logger,
    policy: BatchJobsPermissionPolicy.fromConfig(config, { logger, userInfo }),
  };
}

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

  it('allows an approver to approve, and nothing else beyond what they own', async () => {
    const { policy: p } = policy(CONFIGURED);
    expect(
      await decide(p, batchJobsApprovePermission, 'user:default/alan'),
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

  it('allows every other plugin’s permission to anyone (the portal is an example)', async () => {
    const { policy: p } = policy(CONFIGURED);
    const catalogDelete = createPermission({
      name: 'catalog.entity.delete',
      attributes: { action: 'delete' },
      resourceType: 'catalog-entity',
    });
    expect(await decide(p, catalogDelete, 'user:default/sam')).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('matches refs case-insensitively', async () => {
    const { policy: p } = policy({ operators: ['User:Default/Sam'] });
    expect(
      await decide(p, batchJobsAgentLaunchPermission, 'user:default/sam'),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('without batchJobs.permissions, allows every Batch Jobs action and warns once', async () => {
    const { policy: p, logger } = policy();
    for (const permission of batchJobsPermissions) {
      expect(await decide(p, permission, 'user:default/sam')).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain(
      'No batchJobs.permissions in the configuration',
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
  });
});
