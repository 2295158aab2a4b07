/*
 * The STS Query API, as much of it as cross-account access needs:
 * AssumeRole (temporary credentials scoped to the role's account, see
 * AwsWorld.assumeRole) and GetCallerIdentity. Form-encoded `Action=…&
 * Version=2011-06-15` requests; answers and errors in STS's XML.
 */
import { AwsError } from './errors';
import { XML_DECLARATION, text } from './xml';
import type { AwsWorld } from './world';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** @internal */
export const STS_ACTIONS = new Set(['AssumeRole', 'GetCallerIdentity']);

type Params = Map<string, string>;

/** @internal */
export function stsError(error: AwsError, requestId: string) {
  return {
    status: error.status,
    body:
      `${XML_DECLARATION}<ErrorResponse xmlns="${NAMESPACE}"><Error>` +
      `${text('Type', error.status >= 500 ? 'Receiver' : 'Sender')}` +
      `${text('Code', error.code)}${text('Message', error.message)}</Error>` +
      `${text('RequestId', requestId)}</ErrorResponse>`,
  };
}

function respond(action: string, result: string, requestId: string) {
  return {
    status: 200,
    body:
      `${XML_DECLARATION}<${action}Response xmlns="${NAMESPACE}">` +
      `<${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata>${text('RequestId', requestId)}</ResponseMetadata>` +
      `</${action}Response>`,
  };
}

/** @internal */
export function answerSts(
  world: AwsWorld,
  action: string,
  params: Params,
  accessKeyId: string,
  requestId: string,
) {
  try {
    if (action === 'GetCallerIdentity') {
      const account = world.sessionAccount(accessKeyId) ?? world.accountId;
      return respond(
        action,
        text('Arn', `arn:aws:iam::${account}:user/sandbox`) +
          text('UserId', accessKeyId || 'AIDASANDBOX') +
          text('Account', account),
        requestId,
      );
    }
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    if (!roleArn || !sessionName) {
      throw new AwsError(
        'MissingParameter',
        `The request must contain the parameter ${
          roleArn ? 'RoleSessionName' : 'RoleArn'
        }`,
        400,
      );
    }
    const duration = Number(params.get('DurationSeconds') ?? 3600);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${params.get(
          'DurationSeconds',
        )}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
        400,
      );
    }
    const c = world.assumeRole(roleArn, sessionName, duration);
    return respond(
      action,
      `<Credentials>${text('AccessKeyId', c.accessKeyId)}${text(
        'SecretAccessKey',
        c.secretAccessKey,
      )}${text('SessionToken', c.sessionToken)}${text(
        'Expiration',
        c.expiration,
      )}</Credentials>` +
        `<AssumedRoleUser>${text(
          'AssumedRoleId',
          `AROASANDBOX${c.account}:${sessionName}`,
        )}${text('Arn', c.assumedRoleArn)}</AssumedRoleUser>`,
      requestId,
    );
  } catch (error) {
    if (error instanceof AwsError) return stsError(error, requestId);
    throw error;
  }
}
