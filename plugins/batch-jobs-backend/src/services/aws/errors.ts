import {
  ConflictError,
  CustomErrorBase,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';

/**
 * AWS refused us in a way the user cannot fix (our IAM permissions, a
 * missing launch template): a 502, so AWS' 403 never becomes *our* 403.
 * @public
 */
export class AwsRefusedError extends CustomErrorBase {
  name = 'AwsRefusedError' as const;
  statusCode = 502;
}

/** What a failed EC2 call means, for people and for the launcher's decisions. @public */
export type Ec2FailureKind =
  | 'launch-template-missing'
  | 'capacity'
  | 'unauthorized'
  | 'throttled'
  | 'idempotency-mismatch'
  | 'not-found'
  | 'invalid'
  | 'unavailable';

/** @public */
export interface Ec2Failure {
  kind: Ec2FailureKind;
  /** The AWS error code (the SDK error's `name`). */
  code: string;
  /** Plain words naming EC2, the VPC and what to do. */
  message: string;
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
]);

/**
 * Classifies an EC2 SDK error by its `name` (the AWS error code) into plain
 * words that name EC2 and the VPC. Pure: tested without I/O.
 * @public
 */
export function classifyEc2Error(
  error: unknown,
  context: { vpc: string; region: string; action: string; template?: string },
): Ec2Failure {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = e?.name && e.name !== 'Error' ? e.name : e?.code ?? 'Unknown';
  const detail = e?.message ? ` (${e.message})` : '';
  const where = `AWS EC2 in VPC ${context.vpc} (${context.region})`;
  if (
    code === 'InvalidLaunchTemplateName.NotFoundException' ||
    code === 'InvalidLaunchTemplateId.NotFound' ||
    code === 'InvalidLaunchTemplateId.VersionNotFound'
  ) {
    return {
      kind: 'launch-template-missing',
      code,
      message: `${where} has no launch template ${
        context.template ? `'${context.template}'` : ''
      }: check batchJobs.vpcs[${
        context.vpc
      }].aws.launchTemplates or create the template${detail}`,
    };
  }
  if (code === 'InsufficientInstanceCapacity' || code === 'InsufficientCapacity') {
    return {
      kind: 'capacity',
      code,
      message: `${where} has no capacity for this agent's instance type right now; try again in a few minutes${detail}`,
    };
  }
  if (
    code === 'UnauthorizedOperation' ||
    code === 'AuthFailure' ||
    code === 'AccessDenied' ||
    code === 'Blocked' ||
    code === 'OptInRequired'
  ) {
    return {
      kind: 'unauthorized',
      code,
      message: `${where} refused the portal's credentials for ${context.action} (${code}); the portal's IAM role or keys need ec2:${context.action}`,
    };
  }
  if (THROTTLING.has(code) || code.endsWith('Throttling')) {
    return {
      kind: 'throttled',
      code,
      message: `${where} is throttling requests (${code}) even after retries; try again shortly`,
    };
  }
  if (code === 'IdempotentParameterMismatch') {
    return {
      kind: 'idempotency-mismatch',
      code,
      message: `${where} already launched an instance for this request key with different parameters; use a new Idempotency-Key`,
    };
  }
  if (code.startsWith('InvalidInstanceID.NotFound')) {
    return {
      kind: 'not-found',
      code,
      message: `${where} does not know the instance${detail}`,
    };
  }
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      kind: 'invalid',
      code,
      message: `${where} rejected ${context.action} (${code})${detail}`,
    };
  }
  return {
    kind: 'unavailable',
    code,
    message: `${where} failed on ${context.action} (${code})${detail}`,
  };
}

/** The error to throw across the HTTP boundary for a classified failure. @public */
export function toHttpError(failure: Ec2Failure): Error {
  switch (failure.kind) {
    case 'capacity':
    case 'throttled':
    case 'unavailable':
      return new ServiceUnavailableError(failure.message);
    case 'idempotency-mismatch':
      return new ConflictError(failure.message);
    case 'invalid':
      return new InputError(failure.message);
    default:
      return new AwsRefusedError(failure.message);
  }
}
