/**
 * The S3 REST API subset Jenkins backups need, path-style (`/bucket/key`)
 * and virtual-hosted on `*.localhost`: buckets, objects with ranges and
 * conditions, ListObjectsV2, batch delete, copy. Uploads may be plain or use
 * SigV4 `aws-chunked` framing (SDK v3 streams and flexible checksums); the
 * framing is decoded and the checksums the client sent are verified.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { AwsError } from './errors';
import { S3Object, compareKeys } from './s3store';
import { XML_DECLARATION, elementsOf, node, text, unescapeXml } from './xml';
import type { AwsWorld } from './world';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface S3Request {
  method: string;
  /** Raw path, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface S3Answer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface S3Target {
  operation: string;
  bucket?: string;
  key?: string;
}

const LIST_PARAMS = new Set([
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'encoding-type',
]);
/** Query parameters that do not make an object request another operation. */
const OBJECT_PARAMS = new Set([
  'x-id',
  'response-content-type',
  'response-content-disposition',
  'response-cache-control',
  'response-content-encoding',
  'response-expires',
  'response-content-language',
  'partNumber',
]);
const SIGNING_PARAM = /^X-Amz-/i;

/** Which operation a request is, from its method, path and sub-resources. */
export function s3TargetOf(request: S3Request): S3Target {
  const { bucket, key } = bucketAndKey(request);
  const q = request.query;
  const m = request.method;
  let operation = 'Unsupported';
  if (!bucket) {
    if (m === 'GET') operation = 'ListBuckets';
  } else if (key === undefined) {
    if (m === 'PUT' && isPlain(q)) operation = 'CreateBucket';
    else if (m === 'HEAD') operation = 'HeadBucket';
    else if (m === 'DELETE' && isPlain(q)) operation = 'DeleteBucket';
    else if (m === 'POST' && q.has('delete')) operation = 'DeleteObjects';
    else if (m === 'GET' && q.has('location')) operation = 'GetBucketLocation';
    else if (m === 'GET' && q.get('list-type') === '2')
      operation = 'ListObjectsV2';
    else if (m === 'GET' && isPlain(q, LIST_PARAMS)) operation = 'ListObjects';
  } else if (q.has('uploads') && m === 'POST') {
    operation = 'CreateMultipartUpload';
  } else if (q.has('uploadId')) {
    if (m === 'PUT' && q.has('partNumber')) operation = 'UploadPart';
    else if (m === 'POST') operation = 'CompleteMultipartUpload';
    else if (m === 'DELETE') operation = 'AbortMultipartUpload';
  } else if (isPlain(q, OBJECT_PARAMS)) {
    if (m === 'PUT')
      operation = request.headers['x-amz-copy-source']
        ? 'CopyObject'
        : 'PutObject';
    else if (m === 'GET') operation = 'GetObject';
    else if (m === 'HEAD') operation = 'HeadObject';
    else if (m === 'DELETE') operation = 'DeleteObject';
  }
  return { operation, bucket, key };
}

export function s3Error(
  error: AwsError,
  method: string,
  requestId: string,
  target: S3Target = { operation: '' },
): S3Answer {
  const headers: Record<string, string> = { 'x-amz-request-id': requestId };
  if (method === 'HEAD') return { status: error.status, headers };
  const details = { ...error.details };
  if (error.code === 'NoSuchKey' && target.key !== undefined)
    details.Key ??= target.key;
  if (error.code === 'NoSuchBucket' && target.bucket)
    details.BucketName ??= target.bucket;
  headers['content-type'] = 'application/xml';
  return {
    status: error.status,
    headers,
    body: `${XML_DECLARATION}<Error>${text('Code', error.code)}${text(
      'Message',
      error.message,
    )}${Object.entries(details)
      .map(([k, v]) => text(k, v))
      .join('')}${text('RequestId', requestId)}${text(
      'HostId',
      hostIdOf(requestId),
    )}</Error>`,
  };
}

export function hostIdOf(requestId: string): string {
  return createHash('sha256').update(requestId).digest('base64');
}

type Operation = (
  world: AwsWorld,
  request: S3Request,
  target: S3Target,
) => S3Answer;

const OPERATIONS: Record<string, Operation> = {
  ListBuckets: world =>
    xml(
      200,
      node(
        'ListAllMyBucketsResult',
        node(
          'Owner',
          text('ID', ownerId(world)),
          text('DisplayName', 'sandbox'),
        ),
        node(
          'Buckets',
          ...[...world.s3.buckets.values()]
            .sort((a, b) => compareKeys(a.name, b.name))
            .map(b =>
              node(
                'Bucket',
                text('Name', b.name),
                text('CreationDate', iso(b.creationDate)),
              ),
            ),
        ),
      ),
      true,
    ),
  CreateBucket: (world, _request, { bucket }) => {
    world.s3.createBucket(bucket!);
    return { status: 200, headers: { location: `/${bucket}` } };
  },
  HeadBucket: (world, _request, { bucket }) => {
    world.s3.bucket(bucket!);
    return { status: 200, headers: { 'x-amz-bucket-region': world.region } };
  },
  DeleteBucket: (world, _request, { bucket }) => {
    world.s3.deleteBucket(bucket!);
    return { status: 204, headers: {} };
  },
  GetBucketLocation: (world, _request, { bucket }) => {
    world.s3.bucket(bucket!);
    // us-east-1 is the empty location constraint, a long-standing S3 quirk.
    return xml(
      200,
      `<LocationConstraint xmlns="${S3_NAMESPACE}">${
        world.region === 'us-east-1' ? '' : world.region
      }</LocationConstraint>`,
    );
  },
  ListObjectsV2: (world, request, { bucket }) =>
    listObjects(world, request, bucket!, 2),
  ListObjects: (world, request, { bucket }) =>
    listObjects(world, request, bucket!, 1),
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: (world, request, target) =>
    getObject(world, request, target, true),
  HeadObject: (world, request, target) =>
    getObject(world, request, target, false),
  DeleteObject: (world, _request, { bucket, key }) => {
    world.s3.deleteObject(bucket!, key!);
    return { status: 204, headers: {} };
  },
  DeleteObjects: deleteObjects,
  CreateMultipartUpload: (world, request, { bucket, key }) => {
    world.s3.bucket(bucket!);
    const uploadId = world.s3.createUpload(bucket!, key!, {
      contentType: header(request.headers, 'content-type'),
      contentEncoding: header(request.headers, 'content-encoding'),
      metadata: metadataOf(request.headers),
    });
    return xml(
      200,
      node(
        'InitiateMultipartUploadResult',
        text('Bucket', bucket),
        text('Key', key),
        text('UploadId', uploadId),
      ),
      true,
    );
  },
  UploadPart: (world, request, { bucket, key }) => {
    const partNumber = Number(request.query.get('partNumber'));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      throw new AwsError(
        'InvalidArgument',
        'Part number must be an integer between 1 and 10000, inclusive',
      );
    }
    const { body, trailers } = decodePayload(request);
    const checksums = verifyChecksums(request.headers, trailers, body);
    const etag = world.s3.uploadPart(
      bucket!,
      key!,
      request.query.get('uploadId')!,
      partNumber,
      body,
    );
    const headers: Record<string, string> = { etag };
    for (const [algorithm, value] of Object.entries(checksums))
      headers[`x-amz-checksum-${algorithm}`] = value;
    return { status: 200, headers };
  },
  CompleteMultipartUpload: (world, request, { bucket, key }) => {
    const { body } = decodePayload(request);
    const parts = elementsOf(body.toString('utf8'), 'Part').map(part => ({
      partNumber: Number(elementsOf(part, 'PartNumber')[0]),
      etag: unescapeXml(elementsOf(part, 'ETag')[0] ?? '').trim(),
    }));
    const object = world.s3.completeUpload(
      bucket!,
      key!,
      request.query.get('uploadId')!,
      parts,
    );
    return xml(
      200,
      node(
        'CompleteMultipartUploadResult',
        text('Location', `/${bucket}/${key}`),
        text('Bucket', bucket),
        text('Key', key),
        text('ETag', object.etag),
      ),
      true,
    );
  },
  AbortMultipartUpload: (world, request, { bucket, key }) => {
    world.s3.abortUpload(bucket!, key!, request.query.get('uploadId')!);
    return { status: 204, headers: {} };
  },
};

export function answerS3(
  world: AwsWorld,
  request: S3Request,
  target: S3Target,
  requestId: string,
): S3Answer {
  try {
    const handler = OPERATIONS[target.operation];
    if (!handler) {
      throw new AwsError(
        'NotImplemented',
        'A header or query you provided implies functionality that is not implemented.',
        501,
      );
    }
    const answer = handler(world, request, target);
    answer.headers['x-amz-request-id'] = requestId;
    return answer;
  } catch (error) {
    if (error instanceof AwsError)
      return s3Error(error, request.method, requestId, target);
    throw error;
  }
}

function putObject(
  world: AwsWorld,
  request: S3Request,
  { bucket, key }: S3Target,
): S3Answer {
  world.s3.bucket(bucket!);
  const { body, trailers } = decodePayload(request);
  const checksums = verifyChecksums(request.headers, trailers, body);
  const contentEncoding = stripAwsChunked(
    header(request.headers, 'content-encoding'),
  );
  const object = world.s3.putObject(bucket!, key!, body, {
    contentType: header(request.headers, 'content-type'),
    contentEncoding,
    contentDisposition: header(request.headers, 'content-disposition'),
    cacheControl: header(request.headers, 'cache-control'),
    metadata: metadataOf(request.headers),
    checksums,
  });
  const headers: Record<string, string> = {
    etag: object.etag,
    'x-amz-server-side-encryption': 'AES256',
  };
  for (const [algorithm, value] of Object.entries(checksums))
    headers[`x-amz-checksum-${algorithm}`] = value;
  return { status: 200, headers };
}

function copyObject(
  world: AwsWorld,
  request: S3Request,
  { bucket, key }: S3Target,
): S3Answer {
  const raw = decodeURIComponent(
    header(request.headers, 'x-amz-copy-source')!.split('?')[0],
  ).replace(/^\//, '');
  const slash = raw.indexOf('/');
  if (slash <= 0)
    throw new AwsError(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  const source = world.s3.getObject(raw.slice(0, slash), raw.slice(slash + 1));
  const replace =
    header(request.headers, 'x-amz-metadata-directive') === 'REPLACE';
  const copy = world.s3.putObject(bucket!, key!, source.body, {
    contentType: replace
      ? header(request.headers, 'content-type')
      : source.contentType,
    contentEncoding: replace
      ? header(request.headers, 'content-encoding')
      : source.contentEncoding,
    metadata: replace ? metadataOf(request.headers) : { ...source.metadata },
    checksums: { ...source.checksums },
  });
  return xml(
    200,
    node(
      'CopyObjectResult',
      text('LastModified', iso(copy.lastModified)),
      text('ETag', copy.etag),
    ),
    true,
  );
}

function getObject(
  world: AwsWorld,
  request: S3Request,
  { bucket, key }: S3Target,
  withBody: boolean,
): S3Answer {
  const object = world.s3.getObject(bucket!, key!);
  const headers: Record<string, string> = {
    etag: object.etag,
    'last-modified': new Date(object.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': object.contentType,
    'x-amz-server-side-encryption': 'AES256',
  };
  if (object.contentEncoding)
    headers['content-encoding'] = object.contentEncoding;
  if (object.contentDisposition)
    headers['content-disposition'] = object.contentDisposition;
  if (object.cacheControl) headers['cache-control'] = object.cacheControl;
  for (const [name, value] of Object.entries(object.metadata))
    headers[`x-amz-meta-${name}`] = value;

  const precondition = checkConditions(request.headers, object);
  if (precondition === 304) {
    const { etag, 'last-modified': lastModified } = headers;
    return { status: 304, headers: { etag, 'last-modified': lastModified } };
  }
  if (precondition === 412) {
    throw new AwsError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
      {
        Condition: 'If-Match',
      },
    );
  }

  const size = object.body.length;
  const range = parseRange(header(request.headers, 'range'), size);
  if (range === 'unsatisfiable') {
    throw new AwsError(
      'InvalidRange',
      'The requested range is not satisfiable',
      416,
      {
        RangeRequested: header(request.headers, 'range')!,
        ActualObjectSize: String(size),
      },
    );
  }
  if (range) {
    const [start, end] = range;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
    headers['content-length'] = String(end - start + 1);
    return {
      status: 206,
      headers,
      body: withBody ? object.body.subarray(start, end + 1) : undefined,
    };
  }
  // Full-object checksums only come back when asked for, and never for a range.
  if (header(request.headers, 'x-amz-checksum-mode') === 'ENABLED') {
    for (const [algorithm, value] of Object.entries(object.checksums)) {
      headers[`x-amz-checksum-${algorithm}`] = value;
    }
    if (Object.keys(object.checksums).length > 0)
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  headers['content-length'] = String(size);
  return { status: 200, headers, body: withBody ? object.body : undefined };
}

function deleteObjects(
  world: AwsWorld,
  request: S3Request,
  { bucket }: S3Target,
): S3Answer {
  world.s3.bucket(bucket!);
  const hasIntegrity =
    header(request.headers, 'content-md5') !== undefined ||
    Object.keys(request.headers).some(
      h =>
        h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm',
    );
  if (!hasIntegrity) {
    throw new AwsError(
      'InvalidRequest',
      'Missing required header for this request: Content-MD5',
    );
  }
  const { body, trailers } = decodePayload(request);
  verifyChecksums(request.headers, trailers, body);
  const document = body.toString('utf8');
  const objects = elementsOf(document, 'Object').map(
    o => elementsOf(o, 'Key')[0],
  );
  if (
    objects.length === 0 ||
    objects.length > 1000 ||
    objects.some(k => k === undefined)
  ) {
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  const quiet = (elementsOf(document, 'Quiet')[0] ?? '').trim() === 'true';
  const deleted: string[] = [];
  for (const raw of objects) {
    const key = unescapeXml(raw!);
    world.s3.deleteObject(bucket!, key);
    deleted.push(key);
  }
  return xml(
    200,
    node(
      'DeleteResult',
      ...(quiet ? [] : deleted.map(key => node('Deleted', text('Key', key)))),
    ),
    true,
  );
}

function listObjects(
  world: AwsWorld,
  request: S3Request,
  bucket: string,
  version: 1 | 2,
): S3Answer {
  const q = request.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const encodingType = q.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new AwsError(
      'InvalidArgument',
      'Invalid Encoding Method specified in Request',
    );
  }
  const rawMax = q.get('max-keys');
  const maxKeys = rawMax === null ? 1000 : Number(rawMax);
  if (rawMax !== null && (!/^\d+$/.test(rawMax) || maxKeys < 0)) {
    throw new AwsError(
      'InvalidArgument',
      'Provided max-keys not an integer or within integer range',
    );
  }
  const limit = Math.min(maxKeys, 1000);
  const continuationToken =
    version === 2 ? q.get('continuation-token') ?? undefined : undefined;
  const startAfter =
    version === 2
      ? q.get('start-after') ?? undefined
      : q.get('marker') ?? undefined;

  let after: { key: string; prefix: boolean } | undefined;
  if (continuationToken !== undefined) {
    after = decodeContinuation(continuationToken);
  } else if (startAfter) {
    after = { key: startAfter, prefix: false };
  }

  const contents: S3Object[] = [];
  const commonPrefixes: string[] = [];
  let truncated = false;
  let last: { key: string; prefix: boolean } | undefined;
  for (const object of world.s3.list(bucket, prefix)) {
    if (
      after &&
      (compareKeys(object.key, after.key) <= 0 ||
        (after.prefix && object.key.startsWith(after.key)))
    ) {
      continue;
    }
    let commonPrefix: string | undefined;
    if (delimiter) {
      const at = object.key.indexOf(delimiter, prefix.length);
      if (at >= 0) commonPrefix = object.key.slice(0, at + delimiter.length);
    }
    if (
      commonPrefix !== undefined &&
      commonPrefix === commonPrefixes[commonPrefixes.length - 1]
    )
      continue;
    if (contents.length + commonPrefixes.length >= limit) {
      truncated = true;
      break;
    }
    if (commonPrefix !== undefined) {
      commonPrefixes.push(commonPrefix);
      last = { key: commonPrefix, prefix: true };
    } else {
      contents.push(object);
      last = { key: object.key, prefix: false };
    }
  }

  const enc = (value: string) =>
    encodingType === 'url' ? urlEncodeKey(value) : value;
  const owner = node(
    'Owner',
    text('ID', ownerId(world)),
    text('DisplayName', 'sandbox'),
  );
  const withOwner = version === 1 || q.get('fetch-owner') === 'true';
  const parts = [
    text('Name', bucket),
    text('Prefix', enc(prefix)),
    version === 1 ? text('Marker', enc(startAfter ?? '')) : '',
    version === 2
      ? text('KeyCount', contents.length + commonPrefixes.length)
      : '',
    text('MaxKeys', maxKeys),
    delimiter ? text('Delimiter', enc(delimiter)) : '',
    text('IsTruncated', truncated),
    ...contents.map(o =>
      node(
        'Contents',
        text('Key', enc(o.key)),
        text('LastModified', iso(o.lastModified)),
        text('ETag', o.etag),
        ...Object.keys(o.checksums).map(a =>
          text('ChecksumAlgorithm', a.toUpperCase()),
        ),
        Object.keys(o.checksums).length > 0
          ? text('ChecksumType', 'FULL_OBJECT')
          : '',
        text('Size', o.body.length),
        withOwner ? owner : '',
        text('StorageClass', 'STANDARD'),
      ),
    ),
    ...commonPrefixes.map(p => node('CommonPrefixes', text('Prefix', enc(p)))),
    version === 1 && truncated && delimiter && last
      ? text('NextMarker', enc(last.key))
      : '',
    version === 2 && continuationToken !== undefined
      ? text('ContinuationToken', continuationToken)
      : '',
    version === 2 && truncated && last
      ? text('NextContinuationToken', encodeContinuation(last))
      : '',
    version === 2 && startAfter ? text('StartAfter', enc(startAfter)) : '',
    encodingType ? text('EncodingType', encodingType) : '',
  ];
  return xml(
    200,
    `<ListBucketResult xmlns="${S3_NAMESPACE}">${parts.join(
      '',
    )}</ListBucketResult>`,
  );
}

// --- payloads and checksums ------------------------------------------------------

/** The object bytes of a request, with the `aws-chunked` framing removed when present. */
export function decodePayload(request: S3Request): {
  body: Buffer;
  trailers: Record<string, string>;
} {
  const sha = header(request.headers, 'x-amz-content-sha256') ?? '';
  const encoding = header(request.headers, 'content-encoding') ?? '';
  const chunked =
    sha.startsWith('STREAMING-') ||
    encoding.split(',').some(e => e.trim() === 'aws-chunked');
  if (!chunked) {
    if (
      /^[0-9a-f]{64}$/.test(sha) &&
      createHash('sha256').update(request.body).digest('hex') !== sha
    ) {
      throw new AwsError(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    return { body: request.body, trailers: {} };
  }
  const decoded = decodeAwsChunked(request.body);
  const declared = header(request.headers, 'x-amz-decoded-content-length');
  if (declared !== undefined && Number(declared) !== decoded.body.length) {
    throw new AwsError(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the x-amz-decoded-content-length header',
    );
  }
  return decoded;
}

/**
 * `aws-chunked`: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` repeated,
 * a zero-size chunk, then optional trailer lines (`x-amz-checksum-crc32:…`)
 * and an empty line.
 */
export function decodeAwsChunked(raw: Buffer): {
  body: Buffer;
  trailers: Record<string, string>;
} {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  const malformed = () =>
    new AwsError(
      'IncompleteBody',
      'The request body is not valid aws-chunked encoding',
      400,
    );
  const readLine = (): string => {
    const end = raw.indexOf('\r\n', offset);
    if (end < 0) throw malformed();
    const line = raw.subarray(offset, end).toString('latin1');
    offset = end + 2;
    return line;
  };
  for (;;) {
    const sizeField = readLine().split(';')[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeField)) throw malformed();
    const size = parseInt(sizeField, 16);
    if (size === 0) break;
    if (offset + size + 2 > raw.length) throw malformed();
    parts.push(raw.subarray(offset, offset + size));
    offset += size;
    if (raw[offset] !== 0x0d || raw[offset + 1] !== 0x0a) throw malformed();
    offset += 2;
  }
  while (offset < raw.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0)
      trailers[line.slice(0, colon).trim().toLowerCase()] = line
        .slice(colon + 1)
        .trim();
  }
  return { body: Buffer.concat(parts), trailers };
}

const CHECKSUMS: Record<string, ((body: Buffer) => string) | undefined> = {
  crc32: body => uint32Base64(crc32(body)),
  crc32c: body => uint32Base64(crc32c(body)),
  sha1: body => createHash('sha1').update(body).digest('base64'),
  sha256: body => createHash('sha256').update(body).digest('base64'),
  // Accepted and stored, not recomputed.
  crc64nvme: undefined,
};

/** Checks Content-MD5 and every `x-amz-checksum-*` (header or trailer); returns the checksums to keep. */
function verifyChecksums(
  headers: IncomingHttpHeaders,
  trailers: Record<string, string>,
  body: Buffer,
): Record<string, string> {
  const md5 = header(headers, 'content-md5');
  if (md5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) {
      throw new AwsError(
        'InvalidDigest',
        'The Content-MD5 you specified was invalid.',
      );
    }
    if (createHash('md5').update(body).digest('base64') !== md5) {
      throw new AwsError(
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
      );
    }
  }
  const kept: Record<string, string> = {};
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      name.startsWith('x-amz-checksum-') &&
      name !== 'x-amz-checksum-type' &&
      name !== 'x-amz-checksum-mode' &&
      typeof value === 'string'
    ) {
      sent[name.slice('x-amz-checksum-'.length)] = value;
    }
  }
  for (const [name, value] of Object.entries(trailers)) {
    if (name.startsWith('x-amz-checksum-'))
      sent[name.slice('x-amz-checksum-'.length)] = value;
  }
  for (const [algorithm, value] of Object.entries(sent)) {
    if (!(algorithm in CHECKSUMS)) {
      throw new AwsError(
        'InvalidRequest',
        `Value for x-amz-checksum-${algorithm} header is invalid.`,
      );
    }
    const compute = CHECKSUMS[algorithm];
    if (compute && compute(body) !== value) {
      throw new AwsError(
        'BadDigest',
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
      );
    }
    kept[algorithm] = value;
  }
  return kept;
}

function uint32Base64(value: number): string {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer.toString('base64');
}

let crc32cTable: Uint32Array | undefined;
/** CRC-32C (Castagnoli), the other CRC the SDK may send. */
function crc32c(body: Buffer): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of body) crc = crc32cTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// --- helpers --------------------------------------------------------------------

function isPlain(
  query: URLSearchParams,
  allowed: Set<string> = new Set(['x-id']),
): boolean {
  for (const name of query.keys()) {
    if (!allowed.has(name) && !SIGNING_PARAM.test(name)) return false;
  }
  return true;
}

function bucketAndKey(request: S3Request): { bucket?: string; key?: string } {
  const path = request.path.split('?')[0];
  const host = (header(request.headers, 'host') ?? '').replace(/:\d+$/, '');
  // Virtual-hosted style: `<bucket>.localhost`, what endpoint rules produce for a named host.
  const virtual = /^(.+)\.localhost$/.exec(host);
  if (virtual && virtual[1] !== 's3') {
    const key = path.length > 1 ? decodeURIComponent(path.slice(1)) : undefined;
    return { bucket: virtual[1], key };
  }
  const trimmed = path.replace(/^\//, '');
  if (!trimmed) return {};
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { bucket: decodeURIComponent(trimmed) };
  const key = decodeURIComponent(trimmed.slice(slash + 1));
  return {
    bucket: decodeURIComponent(trimmed.slice(0, slash)),
    key: key === '' ? undefined : key,
  };
}

function header(
  headers: IncomingHttpHeaders,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function stripAwsChunked(encoding: string | undefined): string | undefined {
  if (!encoding) return undefined;
  const rest = encoding
    .split(',')
    .map(e => e.trim())
    .filter(e => e && e !== 'aws-chunked');
  return rest.length > 0 ? rest.join(',') : undefined;
}

function metadataOf(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value)
        ? value.join(',')
        : value;
    }
  }
  return metadata;
}

/** 304 / 412 / ok, by S3's precedence of If-Match over If-Unmodified-Since and If-None-Match over If-Modified-Since. */
function checkConditions(
  headers: IncomingHttpHeaders,
  object: S3Object,
): 304 | 412 | undefined {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifModifiedSince = header(headers, 'if-modified-since');
  const ifUnmodifiedSince = header(headers, 'if-unmodified-since');
  const etagIn = (list: string) =>
    list.split(',').some(tag => {
      const t = tag.trim();
      return t === '*' || t === object.etag || `"${t}"` === object.etag;
    });
  if (ifMatch !== undefined) {
    if (!etagIn(ifMatch)) return 412;
  } else if (
    ifUnmodifiedSince !== undefined &&
    object.lastModified > Date.parse(ifUnmodifiedSince)
  ) {
    return 412;
  }
  if (ifNoneMatch !== undefined) {
    if (etagIn(ifNoneMatch)) return 304;
  } else if (
    ifModifiedSince !== undefined &&
    object.lastModified <= Date.parse(ifModifiedSince)
  ) {
    return 304;
  }
  return undefined;
}

/** One `bytes=` range; anything S3 would ignore (several ranges, bad syntax) means the whole object. */
function parseRange(
  value: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (!value) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return [start, end];
}

function urlEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

function encodeContinuation(last: { key: string; prefix: boolean }): string {
  return Buffer.from(JSON.stringify({ k: last.key, p: last.prefix })).toString(
    'base64',
  );
}

function decodeContinuation(token: string): { key: string; prefix: boolean } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (typeof parsed.k === 'string')
      return { key: parsed.k, prefix: parsed.p === true };
  } catch {
    // falls through to the error below
  }
  throw new AwsError(
    'InvalidArgument',
    'The continuation token provided is incorrect',
  );
}

function ownerId(world: AwsWorld): string {
  return createHash('sha256').update(world.accountId).digest('hex');
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

function xml(status: number, document: string, addNamespace = false): S3Answer {
  const body = addNamespace
    ? document.replace(/^<(\w+)/, `<$1 xmlns="${S3_NAMESPACE}"`)
    : document;
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: XML_DECLARATION + body,
  };
}
