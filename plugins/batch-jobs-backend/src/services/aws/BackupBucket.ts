import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { AccountCredentials } from './Ec2Agents';
import { BackupObject } from '../../routines/decisions';
import { ArchiveInspection, inspectBackupArchive } from './backupArchive';

/** Where the Jenkins backups land. @public */
export interface BackupBucketConfig {
  bucket: string;
  /** Key prefix of the backups, e.g. `jenkins/`; never '' (config refuses it). */
  prefix: string;
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The bucket's account: credentials from Backstage's AWS integration (an assumed role). */
  accountId?: string;
  /** Path-style URLs (LocalStack, the sandbox, S3-compatible stores). */
  forcePathStyle: boolean;
}

/** Names the bucket and the call in every failure, and keeps AWS' status out of ours. */
function fail(error: unknown, what: string, where: string): Error {
  const e = error as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  return new Error(
    `S3 ${what} on ${where} failed: ${e?.name ?? 'Error'}${
      status ? ` (HTTP ${status})` : ''
    }${e?.message && e.message !== e.name ? `: ${e.message}` : ''}`,
  );
}

/**
 * The backup bucket: list, read the first bytes, delete. One long-lived S3
 * client; the SDK retries throttling and 5xx.
 * @public
 */
export class BackupBucket {
  private readonly client: S3Client;

  constructor(
    readonly config: BackupBucketConfig,
    options: {
      /** The credentials of an account (`accountId`), from the AWS integration. */
      accountCredentials?: (accountId: string) => AccountCredentials;
    } = {},
  ) {
    if (config.accountId && !options.accountCredentials) {
      throw new Error(
        `The backup bucket names account ${config.accountId}, but no AWS account credentials are available`,
      );
    }
    const credentials = config.accountId
      ? options.accountCredentials!(config.accountId)
      : config.credentials;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      forcePathStyle: config.forcePathStyle,
      maxAttempts: 3,
    });
  }

  get where(): string {
    return `s3://${this.config.bucket}/${this.config.prefix}`;
  }

  /** Every object under the prefix (paginated ListObjectsV2). */
  async list(): Promise<BackupObject[]> {
    const out: BackupObject[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.config.bucket, Prefix: this.config.prefix || undefined },
      )) {
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          out.push({
            key: o.Key,
            size: Number(o.Size ?? 0),
            lastModified: o.LastModified
              ? new Date(o.LastModified)
              : new Date(0),
          });
        }
      }
    } catch (error) {
      throw fail(error, 'ListObjectsV2', this.where);
    }
    return out;
  }

  /** Size and time as S3 has them now (HeadObject). */
  async head(key: string): Promise<BackupObject> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }),
      );
      return {
        key,
        size: Number(res.ContentLength ?? 0),
        lastModified: res.LastModified
          ? new Date(res.LastModified)
          : new Date(0),
      };
    } catch (error) {
      throw fail(error, 'HeadObject', `s3://${this.config.bucket}/${key}`);
    }
  }

  /**
   * Reads the whole object as a tar.gz (gzip trailers, tar listing) without
   * holding it in memory. What the bytes say is in the result; S3 failures
   * throw.
   */
  async inspect(key: string): Promise<ArchiveInspection> {
    const where = `s3://${this.config.bucket}/${key}`;
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: key }),
      );
      const body = res.Body as Readable | undefined;
      if (!body) return inspectBackupArchive(Readable.from([]));
      return await inspectBackupArchive(body);
    } catch (error) {
      throw fail(error, 'GetObject', where);
    }
  }

  /** The first `count` bytes: proves the object is readable without downloading it. */
  async firstBytes(key: string, count: number): Promise<Uint8Array> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: key,
          Range: `bytes=0-${count - 1}`,
        }),
      );
      return res.Body
        ? await res.Body.transformToByteArray()
        : new Uint8Array();
    } catch (error) {
      throw fail(error, 'GetObject', `s3://${this.config.bucket}/${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }),
      );
    } catch (error) {
      throw fail(error, 'DeleteObject', `s3://${this.config.bucket}/${key}`);
    }
  }

  close() {
    this.client.destroy();
  }
}
