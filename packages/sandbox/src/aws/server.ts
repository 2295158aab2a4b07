import http from 'node:http';
import { STS_ACTIONS, answerSts, stsError } from './sts';
import type { AddressInfo } from 'node:net';
import { Random } from '../world/random';
import { answerEc2, ec2Error, Params } from './ec2';
import { AwsError } from './errors';
import { answerS3, s3Error, s3TargetOf, S3Request, hostIdOf } from './s3';
import type { AwsWorld } from './world';

/** @public */
export interface AwsHandlerOptions {
  /** Largest request body accepted, in bytes. Default 512 MiB. */
  maxBodyBytes?: number;
}

/**
 * One endpoint for both services, like LocalStack's port 4566: form-encoded
 * `Action=…` requests to `/` are EC2's Query API, everything else is S3.
 *
 * Authentication: every request must be signed (an `Authorization` header,
 * or presigned `X-Amz-Credential`/`AWSAccessKeyId` parameters) as AWS
 * requires, but any access key and any signature are accepted. Unsigned
 * requests get EC2's `AuthFailure` (401) or S3's `AccessDenied` (403).
 *
 * @public
 */
export function createAwsHandler(
  world: AwsWorld,
  options: AwsHandlerOptions = {},
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const maxBody = options.maxBodyBytes ?? 512 * 1024 * 1024;
  const requestIds = Random.derive(world.seed, 'aws', 'request-ids');
  const nextRequestId = () => {
    const h = requestIds.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(
      17,
      20,
    )}-${h.slice(20, 32)}`;
  };

  return (req, res) => {
    const requestId = nextRequestId();
    handle(world, req, res, requestId, maxBody).catch(error => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(500, {
        'content-type': 'application/xml',
        'x-amz-request-id': requestId,
      });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>${escape(
          message,
        )}</Message><RequestId>${requestId}</RequestId></Error>`,
      );
    });
  };
}

async function handle(
  world: AwsWorld,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestId: string,
  maxBody: number,
): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const url = new URL(rawUrl, 'http://aws.invalid');
  const body = await readBody(req, maxBody);
  world.tick();

  const contentType = String(req.headers['content-type'] ?? '');
  const isForm = contentType.startsWith('application/x-www-form-urlencoded');
  const isEc2 =
    url.pathname === '/' &&
    ((method === 'POST' && isForm) ||
      (method === 'GET' && url.searchParams.has('Action')));

  if (isEc2) {
    const params: Params = new Map(url.searchParams);
    if (isForm)
      for (const [key, value] of new URLSearchParams(body.toString('utf8')))
        params.set(key, value);
    const action = params.get('Action') ?? '';
    const accessKeyId = accessKeyOf(req.headers, params);
    if (STS_ACTIONS.has(action)) {
      const answer =
        accessKeyId === undefined
          ? stsError(
              new AwsError(
                'MissingAuthenticationToken',
                'Request is missing Authentication Token',
                403,
              ),
              requestId,
            )
          : answerSts(world, action, params, accessKeyId, requestId);
      world.record({
        service: 'sts',
        action,
        status: answer.status,
        accessKeyId: accessKeyId || undefined,
        account: world.sessionAccount(accessKeyId),
      });
      res.writeHead(answer.status, {
        'content-type': 'text/xml',
        'x-amzn-requestid': requestId,
      });
      res.end(answer.body);
      return;
    }
    // An assumed role's credentials reach their own account only.
    const account = world.sessionAccount(accessKeyId);
    let answer: { status: number; body: string };
    if (accessKeyId === undefined) {
      answer = ec2Error(
        new AwsError(
          'AuthFailure',
          'AWS was not able to validate the provided access credentials',
        ),
        requestId,
      );
    } else {
      const fault = world.faults.take(action, 'ec2');
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      answer = fault?.error
        ? ec2Error(
            new AwsError(
              fault.error.code,
              faultMessage(
                world,
                fault.error.code,
                fault.error.message,
                params,
              ),
              fault.error.status,
            ),
            requestId,
          )
        : answerEc2(world, action, params, requestId, {
            agentNeverConnects: fault?.agentNeverConnects ?? false,
            account,
          });
    }
    world.record({
      service: 'ec2',
      action,
      status: answer.status,
      accessKeyId: accessKeyId || undefined,
      account,
    });
    res.writeHead(answer.status, {
      'content-type': 'text/xml;charset=UTF-8',
      'x-amzn-requestid': requestId,
      server: 'AmazonEC2',
      'cache-control': 'no-cache, no-store',
    });
    res.end(answer.body);
    return;
  }

  const request: S3Request = {
    method,
    path: rawUrl,
    query: url.searchParams,
    headers: req.headers,
    body,
  };
  let target;
  try {
    target = s3TargetOf(request);
  } catch {
    target = { operation: 'Unsupported' };
  }
  const accessKeyId = accessKeyOf(req.headers, new Map(url.searchParams));
  let answer;
  if (accessKeyId === undefined) {
    answer = s3Error(
      new AwsError('AccessDenied', 'Access Denied'),
      method,
      requestId,
      target,
    );
  } else {
    const fault = world.faults.take(target.operation, 's3');
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    answer = fault?.error
      ? s3Error(
          new AwsError(
            fault.error.code,
            fault.error.message,
            fault.error.status,
          ),
          method,
          requestId,
          target,
        )
      : answerS3(world, request, target, requestId);
  }
  world.record({
    service: 's3',
    action: target.operation,
    status: answer.status,
    accessKeyId: accessKeyId || undefined,
  });
  res.writeHead(answer.status, {
    ...answer.headers,
    'x-amz-id-2': hostIdOf(requestId),
    server: 'AmazonS3',
    ...(answer.body === undefined &&
    answer.headers['content-length'] === undefined
      ? { 'content-length': '0' }
      : {}),
  });
  res.end(method === 'HEAD' ? undefined : answer.body);
}

/**
 * The access key a request is signed with: SigV4 or SigV2, header or
 * presigned. `''` when signed in a form we do not parse; `undefined` when unsigned.
 */
export function accessKeyOf(
  headers: http.IncomingHttpHeaders,
  params: Params,
): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const v4 = /Credential=([^/,\s]+)\//.exec(authorization);
    if (v4) return v4[1];
    const v2 = /^AWS ([^:]+):/.exec(authorization);
    return v2 ? v2[1] : '';
  }
  const credential = params.get('X-Amz-Credential');
  if (credential && params.has('X-Amz-Signature'))
    return credential.split('/')[0];
  const v2 = params.get('AWSAccessKeyId');
  if (v2 && params.has('Signature')) return v2;
  return undefined;
}

/** Capacity errors name the instance type and zone, as EC2's do. */
function faultMessage(
  world: AwsWorld,
  code: string,
  message: string,
  params: Params,
): string {
  if (
    code !== 'InsufficientInstanceCapacity' ||
    !message.startsWith('Injected fault')
  )
    return message;
  let instanceType = params.get('InstanceType') ?? 'm5.large';
  let zone = `${world.region}a`;
  const name = params.get('LaunchTemplate.LaunchTemplateName');
  const template = world.launchTemplates.find(
    t =>
      t.launchTemplateName === name ||
      t.launchTemplateId === params.get('LaunchTemplate.LaunchTemplateId'),
  );
  if (template) {
    instanceType =
      params.get('InstanceType') ?? template.versions[0].data.instanceType;
    zone = world.vpcs.get(template.vpc)?.availabilityZone ?? zone;
  }
  return (
    `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). ` +
    'Our system will be working on provisioning additional capacity. You can currently get ' +
    `${instanceType} capacity by not specifying an Availability Zone in your request or choosing other zones.`
  );
}

async function readBody(
  req: http.IncomingMessage,
  maxBody: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function escape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** @public */
export interface AwsServer {
  /** e.g. `http://127.0.0.1:4566`, no trailing slash. */
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/** @public */
export interface StartAwsServerOptions {
  world: AwsWorld;
  /** Default 4566, LocalStack's port; 0 picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Real-clock sandboxes: call `world.tick()` this often (real ms) so
   * instances boot and terminate even when nobody asks. Off by default;
   * every request ticks anyway.
   */
  tickIntervalMs?: number;
}

/** Starts the endpoint on its own port. @public */
export async function startAwsServer(
  options: StartAwsServerOptions,
): Promise<AwsServer> {
  const { world } = options;
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer(createAwsHandler(world));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const ticker = options.tickIntervalMs
    ? setInterval(() => world.tick(), options.tickIntervalMs).unref()
    : undefined;
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    server,
    close() {
      if (ticker) clearInterval(ticker);
      return new Promise((resolve, reject) => {
        server.close(err => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
