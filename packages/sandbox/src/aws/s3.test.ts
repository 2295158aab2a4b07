import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { AwsWorld, createAwsHandler, createAwsWorld } from './index';

const START = Date.UTC(2026, 10, 2, 9, 0, 0, 500);

describe('S3 REST API', () => {
  let time: number;
  let world: AwsWorld;
  let server: http.Server;
  let url: string;
  let s3: S3Client;
  /** Headers of every request, to see how the SDK framed uploads. */
  let seen: http.IncomingHttpHeaders[];

  beforeEach(async () => {
    time = START;
    seen = [];
    world = createAwsWorld({
      seed: 7,
      clock: { now: () => time },
      vpcs: ['DEV'],
    });
    const handler = createAwsHandler(world);
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      handler(req, res);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    s3 = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    s3.destroy();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  const md5 = (body: Buffer | string) =>
    createHash('md5').update(body).digest('hex');

  it('has the seeded jenkins-backups bucket', async () => {
    await expect(
      s3.send(new HeadBucketCommand({ Bucket: 'jenkins-backups' })),
    ).resolves.toBeDefined();
    const buckets = await s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets!.map(b => b.Name)).toEqual(['jenkins-backups']);

    const missing = await s3
      .send(new HeadBucketCommand({ Bucket: 'nope-bucket' }))
      .catch(e => e);
    expect(missing.name).toBe('NotFound');
    expect(missing.$metadata.httpStatusCode).toBe(404);

    await s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
    const invalid = await s3
      .send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))
      .catch(e => e);
    expect(invalid.name).toBe('InvalidBucketName');
  });

  it('puts a Buffer and gets it back with ETag, size, time and verified checksum', async () => {
    const body = Buffer.from('jenkins home, tarred and gzipped');
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'backups/2026-11-02/jenkins.tar.gz',
        Body: body,
        ContentType: 'application/gzip',
        Metadata: { run: '42' },
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);

    const got = await s3.send(
      new GetObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'backups/2026-11-02/jenkins.tar.gz',
      }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got.ContentLength).toBe(body.length);
    expect(got.ContentType).toBe('application/gzip');
    expect(got.ETag).toBe(`"${md5(body)}"`);
    expect(got.LastModified).toEqual(new Date(Date.UTC(2026, 10, 2, 9, 0, 0)));
    expect(got.Metadata).toEqual({ run: '42' });
    // The SDK asks for the checksum and verifies the body against it.
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    expect(got.ChecksumCRC32).toBe(crc.toString('base64'));

    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'backups/2026-11-02/jenkins.tar.gz',
      }),
    );
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(put.ETag);
  });

  it('decodes aws-chunked streaming uploads of a Readable', async () => {
    const parts = [
      Buffer.alloc(70_000, 'a'),
      Buffer.alloc(10, 'b'),
      Buffer.from('end'),
    ];
    const whole = Buffer.concat(parts);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'stream/known-length.bin',
        Body: Readable.from(parts),
        ContentLength: whole.length,
      }),
    );
    const upload = seen[seen.length - 1];
    expect(upload['content-encoding']).toContain('aws-chunked');
    expect(upload['x-amz-content-sha256']).toMatch(/^STREAMING-/);

    const stored = world.s3.getObject(
      'jenkins-backups',
      'stream/known-length.bin',
    );
    expect(stored.body.equals(whole)).toBe(true);
    expect(stored.etag).toBe(`"${md5(whole)}"`);
    expect(stored.contentEncoding).toBeUndefined();

    const got = await s3.send(
      new GetObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'stream/known-length.bin',
      }),
    );
    expect(got.ContentEncoding).toBeUndefined();
    expect(
      Buffer.from(await got.Body!.transformToByteArray()).equals(whole),
    ).toBe(true);
  });

  it('decodes signed aws-chunked framing with chunk signatures and trailers', async () => {
    const data = Buffer.from('hello, chunked world');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data));
    const framed = Buffer.concat([
      Buffer.from(`5;chunk-signature=${'a'.repeat(64)}\r\n`),
      data.subarray(0, 5),
      Buffer.from(
        `\r\n${(data.length - 5).toString(16)};chunk-signature=${'b'.repeat(
          64,
        )}\r\n`,
      ),
      data.subarray(5),
      Buffer.from(`\r\n0;chunk-signature=${'c'.repeat(64)}\r\n`),
      Buffer.from(
        `x-amz-checksum-crc32:${crc.toString(
          'base64',
        )}\r\nx-amz-trailer-signature:${'d'.repeat(64)}\r\n\r\n`,
      ),
    ]);
    const response = await fetch(`${url}/jenkins-backups/signed.txt`, {
      method: 'PUT',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=K/20261102/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(data.length),
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: framed,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(`"${md5(data)}"`);
    expect(
      world.s3.getObject('jenkins-backups', 'signed.txt').body.toString(),
    ).toBe('hello, chunked world');

    const tampered = await fetch(`${url}/jenkins-backups/bad.txt`, {
      method: 'PUT',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=K/20261102/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x',
        'x-amz-checksum-crc32': crc.toString('base64'),
      },
      body: 'something else',
    });
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain('<Code>BadDigest</Code>');
    expect(() => world.s3.getObject('jenkins-backups', 'bad.txt')).toThrow(
      'The specified key does not exist.',
    );
  });

  it('serves byte ranges and refuses unsatisfiable ones', async () => {
    world.s3.putObject(
      'jenkins-backups',
      'range.txt',
      Buffer.from('0123456789'),
    );
    const middle = await s3.send(
      new GetObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'range.txt',
        Range: 'bytes=2-5',
      }),
    );
    expect(await middle.Body!.transformToString()).toBe('2345');
    expect(middle.ContentRange).toBe('bytes 2-5/10');
    expect(middle.ContentLength).toBe(4);
    expect(middle.$metadata.httpStatusCode).toBe(206);

    const tail = await s3.send(
      new GetObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'range.txt',
        Range: 'bytes=-3',
      }),
    );
    expect(await tail.Body!.transformToString()).toBe('789');

    const beyond = await s3
      .send(
        new GetObjectCommand({
          Bucket: 'jenkins-backups',
          Key: 'range.txt',
          Range: 'bytes=10-',
        }),
      )
      .catch(e => e);
    expect(beyond.name).toBe('InvalidRange');
    expect(beyond.$metadata.httpStatusCode).toBe(416);
  });

  it('reports missing keys and buckets in S3 error format', async () => {
    const key = await s3
      .send(
        new GetObjectCommand({
          Bucket: 'jenkins-backups',
          Key: 'missing.tar.gz',
        }),
      )
      .catch(e => e);
    expect(key.name).toBe('NoSuchKey');
    expect(key.$metadata.httpStatusCode).toBe(404);

    const head = await s3
      .send(
        new HeadObjectCommand({
          Bucket: 'jenkins-backups',
          Key: 'missing.tar.gz',
        }),
      )
      .catch(e => e);
    expect(head.name).toBe('NotFound');
    expect(head.$metadata.httpStatusCode).toBe(404);

    const bucket = await s3
      .send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))
      .catch(e => e);
    expect(bucket.name).toBe('NoSuchBucket');
    expect(bucket.$metadata.httpStatusCode).toBe(404);

    const raw = await fetch(`${url}/jenkins-backups/missing.tar.gz`, {
      headers: { authorization: 'AWS AKID:signature' },
    });
    expect(raw.status).toBe(404);
    expect(await raw.text()).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing.tar.gz<\/Key><RequestId>/,
    );

    const unsigned = await fetch(`${url}/jenkins-backups/missing.tar.gz`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('lists with prefix, delimiter, max-keys, continuation tokens and start-after', async () => {
    const keys = [
      'backups/2026-10-31/jenkins.tar.gz',
      'backups/2026-11-01/jenkins.tar.gz',
      'backups/2026-11-02/jenkins.tar.gz',
      'backups/2026-11-02/plugins.txt',
      'other/readme.txt',
      'backups/latest',
    ];
    for (const key of keys)
      world.s3.putObject('jenkins-backups', key, Buffer.from(key));

    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 2 },
      { Bucket: 'jenkins-backups', Prefix: 'backups/' },
    )) {
      pages++;
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      listed.push(...(page.Contents ?? []).map(o => o.Key!));
    }
    expect(pages).toBe(3);
    expect(listed).toEqual([
      'backups/2026-10-31/jenkins.tar.gz',
      'backups/2026-11-01/jenkins.tar.gz',
      'backups/2026-11-02/jenkins.tar.gz',
      'backups/2026-11-02/plugins.txt',
      'backups/latest',
    ]);

    const folders = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'jenkins-backups',
        Prefix: 'backups/',
        Delimiter: '/',
      }),
    );
    expect(folders.CommonPrefixes!.map(p => p.Prefix)).toEqual([
      'backups/2026-10-31/',
      'backups/2026-11-01/',
      'backups/2026-11-02/',
    ]);
    expect(folders.Contents!.map(o => o.Key)).toEqual(['backups/latest']);
    expect(folders.KeyCount).toBe(4);

    const after = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'jenkins-backups',
        StartAfter: 'backups/2026-11-02/plugins.txt',
      }),
    );
    expect(after.Contents!.map(o => o.Key)).toEqual([
      'backups/latest',
      'other/readme.txt',
    ]);
    expect(after.Contents![0]).toMatchObject({
      Size: 'backups/latest'.length,
      ETag: `"${md5('backups/latest')}"`,
      LastModified: new Date(Date.UTC(2026, 10, 2, 9, 0, 0)),
      StorageClass: 'STANDARD',
    });
  });

  it('deletes one object and many, and copies', async () => {
    for (const key of ['a.tar.gz', 'b.tar.gz', 'c.tar.gz']) {
      world.s3.putObject('jenkins-backups', key, Buffer.from(key));
    }
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'jenkins-backups',
        Key: 'copy.tar.gz',
        CopySource: 'jenkins-backups/a.tar.gz',
      }),
    );
    expect(
      world.s3.getObject('jenkins-backups', 'copy.tar.gz').body.toString(),
    ).toBe('a.tar.gz');

    await s3.send(
      new DeleteObjectCommand({ Bucket: 'jenkins-backups', Key: 'a.tar.gz' }),
    );
    // Deleting what is not there succeeds, as in S3.
    await s3.send(
      new DeleteObjectCommand({ Bucket: 'jenkins-backups', Key: 'a.tar.gz' }),
    );
    const many = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'jenkins-backups',
        Delete: { Objects: [{ Key: 'b.tar.gz' }, { Key: 'c.tar.gz' }] },
      }),
    );
    expect(many.Deleted!.map(d => d.Key)).toEqual(['b.tar.gz', 'c.tar.gz']);
    expect(world.s3.list('jenkins-backups').map(o => o.key)).toEqual([
      'copy.tar.gz',
    ]);
  });

  it("assembles multipart uploads with S3's multipart ETag", async () => {
    const Bucket = 'jenkins-backups';
    const Key = 'big/jenkins.tar.gz';
    const first = Buffer.alloc(5 * 1024 * 1024, 1);
    const second = Buffer.from('the rest');
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket,
        Key,
        ContentType: 'application/gzip',
      }),
    );
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket,
        Key,
        UploadId,
        PartNumber: 1,
        Body: first,
      }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({
        Bucket,
        Key,
        UploadId,
        PartNumber: 2,
        Body: second,
      }),
    );
    expect(p1.ETag).toBe(`"${md5(first)}"`);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    const partDigests = Buffer.concat([
      Buffer.from(md5(first), 'hex'),
      Buffer.from(md5(second), 'hex'),
    ]);
    expect(done.ETag).toBe(`"${md5(partDigests)}-2"`);
    const stored = world.s3.getObject(Bucket, Key);
    expect(stored.body.equals(Buffer.concat([first, second]))).toBe(true);
    expect(stored.contentType).toBe('application/gzip');

    const again = await s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
        }),
      )
      .catch(e => e);
    expect(again.name).toBe('NoSuchUpload');

    const small = await s3.send(
      new CreateMultipartUploadCommand({ Bucket, Key: 'small' }),
    );
    const s1 = await s3.send(
      new UploadPartCommand({
        Bucket,
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 1,
        Body: 'tiny',
      }),
    );
    const s2 = await s3.send(
      new UploadPartCommand({
        Bucket,
        Key: 'small',
        UploadId: small.UploadId,
        PartNumber: 2,
        Body: 'tiny',
      }),
    );
    const tooSmall = await s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'small',
          UploadId: small.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: s1.ETag },
              { PartNumber: 2, ETag: s2.ETag },
            ],
          },
        }),
      )
      .catch(e => e);
    expect(tooSmall.name).toBe('EntityTooSmall');
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket,
        Key: 'small',
        UploadId: small.UploadId,
      }),
    );
    expect(() => world.s3.getObject(Bucket, 'small')).toThrow();
  });

  it('injects S3 faults', async () => {
    world.faults.set({ action: 'PutObject', error: 'SlowDown', times: 1 });
    const slow = await s3
      .send(
        new PutObjectCommand({
          Bucket: 'jenkins-backups',
          Key: 'x',
          Body: 'x',
        }),
      )
      .catch(e => e);
    expect(slow.name).toBe('SlowDown');
    expect(slow.$metadata.httpStatusCode).toBe(503);
    await s3.send(
      new PutObjectCommand({ Bucket: 'jenkins-backups', Key: 'x', Body: 'x' }),
    );
    expect(world.requests.map(r => [r.service, r.action, r.status])).toEqual([
      ['s3', 'PutObject', 503],
      ['s3', 'PutObject', 200],
    ]);
  });
});
