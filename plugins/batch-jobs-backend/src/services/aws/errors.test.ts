import { classifyEc2Error, toHttpError } from './errors';

const ctx = { vpc: 'STG', region: 'eu-west-1', action: 'RunInstances', template: 'STG-WORKER-JENKINS-AGENT' };
const awsError = (name: string, message = 'm', status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('classifyEc2Error', () => {
  it.each([
    ['InvalidLaunchTemplateName.NotFoundException', 'launch-template-missing', 502, /no launch template 'STG-WORKER-JENKINS-AGENT'/],
    ['InsufficientInstanceCapacity', 'capacity', 503, /no capacity/],
    ['UnauthorizedOperation', 'unauthorized', 502, /ec2:RunInstances/],
    ['RequestLimitExceeded', 'throttled', 503, /throttling/],
    ['ThrottlingException', 'throttled', 503, /throttling/],
    ['IdempotentParameterMismatch', 'idempotency-mismatch', 409, /Idempotency-Key/],
    ['InvalidParameterValue', 'invalid', 400, /rejected RunInstances/],
  ])('%s → %s', (name, kind, status, text) => {
    const failure = classifyEc2Error(awsError(name), ctx);
    expect(failure.kind).toBe(kind);
    expect(failure.code).toBe(name);
    expect(failure.message).toMatch(/^AWS EC2 in VPC STG \(eu-west-1\)/);
    expect(failure.message).toMatch(text);
    const http = toHttpError(failure) as Error & { statusCode?: number };
    const expected: Record<number, string> = {
      400: 'InputError',
      409: 'ConflictError',
      502: 'AwsRefusedError',
      503: 'ServiceUnavailableError',
    };
    expect(http.name).toBe(expected[status]);
  });

  it('treats unknown server-side failures as unavailable', () => {
    expect(classifyEc2Error(awsError('InternalError', 'boom', 500), ctx).kind).toBe('unavailable');
    expect(classifyEc2Error(new TypeError('socket hang up'), ctx).kind).toBe('unavailable');
  });
});
