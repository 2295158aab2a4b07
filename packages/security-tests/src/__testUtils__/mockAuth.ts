import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';

/*
 * Mock auth as the real auth service behaves on plugin-to-plugin calls made
 * on behalf of a user: the receiving plugin sees the user *and* the calling
 * plugin as actor. The test utils' mock drops the actor, and the permissions
 * registry's apply-conditions endpoint refuses a user without one, so the
 * permission backend could never resolve a conditional decision (the
 * catalog's isEntityOwner, the batch-jobs-vpc rules). Everything else is the
 * stock mock: users sign requests with `mockCredentials.user.header(ref)`.
 */

const SERVICE_TOKEN_PREFIX = 'mock-service-token:';

/** The user and calling plugin of an on-behalf-of mock token, if it is one. */
function onBehalfOf(
  header: string | undefined,
): { user: string; actor: string } | undefined {
  const token = header?.match(/^Bearer[ ]+(\S+)$/i)?.[1];
  if (!token?.startsWith(SERVICE_TOKEN_PREFIX)) return undefined;
  const { obo, sub } = JSON.parse(token.slice(SERVICE_TOKEN_PREFIX.length));
  return obo ? { user: obo, actor: sub ?? 'plugin:unknown' } : undefined;
}

/** `mockServices.httpAuth`, keeping the actor of on-behalf-of calls. */
export const httpAuthWithActorFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const mock = mockServices.httpAuth({ pluginId: plugin.getId() });
    return {
      async credentials(req: any, options?: { allow?: string[] }) {
        const obo = onBehalfOf(req.headers?.authorization);
        if (!obo) return mock.credentials(req, options as any);
        if (options?.allow && !options.allow.includes('user')) {
          throw new NotAllowedError(
            `This endpoint does not allow 'user' credentials`,
          );
        }
        return mockCredentials.user(obo.user, {
          actor: { subject: obo.actor },
        }) as BackstageCredentials<any>;
      },
      issueUserCookie: mock.issueUserCookie.bind(mock),
    } as any;
  },
});

/** Group memberships, as the auth backend's sign-in resolver would give them. */
export function userInfoFactory(groups: Record<string, string[]>) {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: BackstageCredentials) {
        const userEntityRef = (credentials.principal as any)
          .userEntityRef as string;
        return {
          userEntityRef,
          ownershipEntityRefs: [
            userEntityRef,
            ...(groups[userEntityRef] ?? []),
          ],
        };
      },
    }),
  });
}
