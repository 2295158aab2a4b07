import { createHash } from 'node:crypto';
import { AwsError } from './errors';

/** @public */
export interface S3Object {
  key: string;
  body: Buffer;
  /** Quoted MD5 hex, as S3 sends it for single-part uploads. */
  etag: string;
  lastModified: number;
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  /** `x-amz-meta-*` values, keys lower-case without the prefix. */
  metadata: Record<string, string>;
  /** Checksums the uploader sent and S3 verified, e.g. `{ crc32: 'base64' }`. */
  checksums: Record<string, string>;
}

/** @public */
export interface S3Bucket {
  name: string;
  creationDate: number;
  objects: Map<string, S3Object>;
}

export interface PutObjectOptions {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
  checksums?: Record<string, string>;
  /** Defaults to the clock's now. */
  lastModified?: number;
}

/**
 * Buckets and objects, in memory. The HTTP layer and the sandbox's own jobs
 * (the Jenkins backup pipeline) both write here.
 *
 * @public
 */
export class S3Store {
  readonly buckets = new Map<string, S3Bucket>();
  private readonly uploads = new Map<
    string,
    {
      bucket: string;
      key: string;
      options: PutObjectOptions;
      parts: Map<number, { body: Buffer; etag: string }>;
    }
  >();
  private uploadSeq = 0;

  constructor(
    private readonly clock: { now(): number },
    readonly region: string,
  ) {}

  createBucket(
    name: string,
    creationDate: number = this.clock.now(),
  ): S3Bucket {
    validateBucketName(name);
    const existing = this.buckets.get(name);
    if (existing) {
      // us-east-1 keeps the legacy behaviour of answering 200 to the owner.
      if (this.region === 'us-east-1') return existing;
      throw new AwsError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: name },
      );
    }
    const bucket: S3Bucket = { name, creationDate, objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  bucket(name: string): S3Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) {
      throw new AwsError(
        'NoSuchBucket',
        'The specified bucket does not exist',
        404,
        { BucketName: name },
      );
    }
    return bucket;
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) {
      throw new AwsError(
        'BucketNotEmpty',
        'The bucket you tried to delete is not empty',
        409,
        { BucketName: name },
      );
    }
    this.buckets.delete(name);
  }

  putObject(
    bucketName: string,
    key: string,
    body: Buffer,
    options: PutObjectOptions = {},
  ): S3Object {
    const bucket = this.bucket(bucketName);
    validateKey(key);
    const object: S3Object = {
      key,
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified:
        Math.floor((options.lastModified ?? this.clock.now()) / 1000) * 1000,
      contentType: options.contentType ?? 'binary/octet-stream',
      contentEncoding: options.contentEncoding,
      contentDisposition: options.contentDisposition,
      cacheControl: options.cacheControl,
      metadata: options.metadata ?? {},
      checksums: options.checksums ?? {},
    };
    bucket.objects.set(key, object);
    return object;
  }

  /** Starts a multipart upload; returns its id. */
  createUpload(
    bucketName: string,
    key: string,
    options: PutObjectOptions = {},
  ): string {
    this.bucket(bucketName);
    validateKey(key);
    const uploadId = createHash('sha256')
      .update(`${bucketName}/${key}/${this.uploadSeq++}`)
      .digest('base64url');
    this.uploads.set(uploadId, {
      bucket: bucketName,
      key,
      options,
      parts: new Map(),
    });
    return uploadId;
  }

  uploadPart(
    bucketName: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): string {
    const upload = this.upload(bucketName, key, uploadId);
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    upload.parts.set(partNumber, { body, etag });
    return etag;
  }

  /**
   * Assembles the listed parts. Parts must be ascending, exist with the given
   * ETags, and all but the last be at least 5 MiB; the ETag is S3's
   * `"<md5 of the parts' md5s>-<count>"`.
   */
  completeUpload(
    bucketName: string,
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
  ): S3Object {
    const upload = this.upload(bucketName, key, uploadId);
    if (parts.length === 0) {
      throw new AwsError(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    const bodies: Buffer[] = [];
    const digests: Buffer[] = [];
    parts.forEach((part, index) => {
      if (index > 0 && part.partNumber <= parts[index - 1].partNumber) {
        throw new AwsError(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
      }
      const stored = upload.parts.get(part.partNumber);
      const wanted = part.etag.startsWith('"') ? part.etag : `"${part.etag}"`;
      if (!stored || stored.etag !== wanted) {
        throw new AwsError(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
        );
      }
      if (index < parts.length - 1 && stored.body.length < 5 * 1024 * 1024) {
        throw new AwsError(
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
        );
      }
      bodies.push(stored.body);
      digests.push(Buffer.from(stored.etag.slice(1, -1), 'hex'));
    });
    const object = this.putObject(
      bucketName,
      key,
      Buffer.concat(bodies),
      upload.options,
    );
    object.etag = `"${createHash('md5')
      .update(Buffer.concat(digests))
      .digest('hex')}-${parts.length}"`;
    this.uploads.delete(uploadId);
    return object;
  }

  abortUpload(bucketName: string, key: string, uploadId: string): void {
    this.upload(bucketName, key, uploadId);
    this.uploads.delete(uploadId);
  }

  private upload(bucketName: string, key: string, uploadId: string) {
    this.bucket(bucketName);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucketName || upload.key !== key) {
      throw new AwsError(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        404,
        { UploadId: uploadId },
      );
    }
    return upload;
  }

  getObject(bucketName: string, key: string): S3Object {
    const object = this.bucket(bucketName).objects.get(key);
    if (!object) {
      throw new AwsError(
        'NoSuchKey',
        'The specified key does not exist.',
        404,
        { Key: key },
      );
    }
    return object;
  }

  /** Deleting a missing key is not an error in S3. */
  deleteObject(bucketName: string, key: string): boolean {
    return this.bucket(bucketName).objects.delete(key);
  }

  /** Objects in S3's listing order: by the UTF-8 bytes of the key. */
  list(bucketName: string, prefix = ''): S3Object[] {
    return [...this.bucket(bucketName).objects.values()]
      .filter(o => o.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function validateBucketName(name: string): void {
  const valid =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name);
  if (!valid) {
    throw new AwsError(
      'InvalidBucketName',
      'The specified bucket is not valid.',
      400,
      { BucketName: name },
    );
  }
}

function validateKey(key: string): void {
  if (key.length === 0)
    throw new AwsError('InvalidArgument', 'Object key must not be empty');
  if (Buffer.byteLength(key, 'utf8') > 1024) {
    throw new AwsError('KeyTooLongError', 'Your key is too long', 400);
  }
}
