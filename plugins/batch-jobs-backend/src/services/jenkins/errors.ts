import { CustomErrorBase } from '@backstage/errors';

/**
 * Jenkins answered, but refused us in a way the user cannot fix (our service
 * account's credentials or permissions, or a request Jenkins did not accept).
 * A 502: Jenkins' own 401/403 must never surface as *our* 401/403.
 * @public
 */
export class JenkinsRefusedError extends CustomErrorBase {
  name = 'JenkinsRefusedError' as const;
  statusCode = 502;
}
