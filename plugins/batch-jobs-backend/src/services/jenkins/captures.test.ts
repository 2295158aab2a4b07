import { mockServices } from '@backstage/backend-test-utils';
import { listCaptures, readCapture } from '../../testing/captures';
import { startFakeHttpServer } from '../../testing/fakeHttpServer';
import { JenkinsClient } from './JenkinsClient';
import { isFolder, mapBuild, mapJob, mapQueueItem } from './mapping';
import { RawBuild, RawJob, RawQueueItem } from './types';

/*
 * The Jenkins client and mappers against real Jenkins answers captured by
 * public client projects (../shared/jenkins-captures). Only the HTTP edge is
 * faked: a local server returns the capture for whatever the client asks.
 */

const NOW = Date.UTC(2026, 10, 2, 9, 0);

// Categories the client does not read yet (fleet: a later issue; the
// job-level run history wfapi/runs). Stage View's describe, node and input
// captures are read in stages.test.ts.
const NOT_READ_YET = new Set([
  'computer-list',
  'computer-node',
  'label',
  'wfapi-runs',
]);
const READ_ELSEWHERE = ['wfapi-describe', 'wfapi-node', 'wfapi-other'];

describe('Jenkins captures', () => {
  let body = '';
  let headers: Record<string, string> = {};
  let server: Awaited<ReturnType<typeof startFakeHttpServer>>;
  let client: JenkinsClient;

  beforeAll(async () => {
    server = await startFakeHttpServer((_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    });
    client = JenkinsClient.fromConfig(
      {
        name: 'captured',
        baseUrl: server.url,
        username: 'u',
        apiToken: 't',
        crumb: true,
        timeoutMs: 2000,
        readRetries: 0,
        timezone: 'UTC',
      },
      { logger: mockServices.logger.mock() },
    );
  });
  afterAll(() => server.close());

  function serve(file: string, contentType = 'application/json') {
    body = readCapture(file);
    headers = { 'Content-Type': contentType };
  }

  function lastQuery(): URLSearchParams {
    const url = server.requests[server.requests.length - 1].url;
    return new URL(url, server.url).searchParams;
  }

  function expectCheapTree() {
    const tree = lastQuery().get('tree');
    expect(tree).toBeTruthy();
    expect(lastQuery().get('depth')).toBeNull();
    expect(tree).not.toMatch(/\*/);
  }

  const files = listCaptures();

  it('finds the captures', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  const KNOWN = new Set([
    ...NOT_READ_YET,
    ...READ_ELSEWHERE,
    'build-success',
    'build-aborted',
    'job-freestyle',
    'jobs-root',
    'jobs-folder',
    'queue-item',
    'queue-list',
    'config-xml',
    'console-text',
    'progressive-text',
  ]);
  const inCategories = (...categories: string[]) =>
    files.filter(f => categories.includes(f.split('/')[0]));

  it('knows every capture category (teach this test new ones)', () => {
    expect(files.map(f => f.split('/')[0]).filter(c => !KNOWN.has(c))).toEqual(
      [],
    );
  });

  it.each(inCategories(...NOT_READ_YET))(
    '%s is not read yet but parses',
    file => {
      expect(() => JSON.parse(readCapture(file))).not.toThrow();
    },
  );

  it.each(inCategories('build-success', 'build-aborted'))(
    'reads build %s',
    async file => {
      serve(file);
      const raw = (await client.getBuild('a/b', 10)) as RawBuild;
      expectCheapTree();
      const expected = JSON.parse(readCapture(file));
      const build = mapBuild(raw, { now: NOW });
      const rawCauses = expected.actions.flatMap((a: any) => a?.causes ?? []);
      const rawParams = expected.actions.flatMap(
        (a: any) => a?.parameters ?? [],
      );
      expect(build).toMatchObject({
        number: expected.number,
        building: false,
        result: expected.result,
        status: String(expected.result).toLowerCase(),
        startedAt: new Date(expected.timestamp).toISOString(),
        durationMs: expected.duration,
        estimatedDurationMs: Math.max(0, expected.estimatedDuration),
        // Every capture here was started by a user; anonymous ones have userId null.
        causes: rawCauses.map((c: any) => ({
          kind: 'user',
          userId: c.userId,
          description: c.shortDescription,
        })),
        parameters: rawParams.map((p: any) => ({
          name: p.name,
          value: p.value,
        })),
      });
      expect(build.causes).toHaveLength(rawCauses.length);
    },
  );

  it.each(inCategories('job-freestyle'))('reads job %s', async file => {
    serve(file);
    const raw = (await client.getJob('F/fish')) as RawJob;
    expectCheapTree();
    const job = mapJob(raw, { now: NOW, fullName: 'F/fish', schedule: null });
    const expected = JSON.parse(readCapture(file));
    const defs = (expected.actions ?? []).flatMap(
      (a: any) => a?.parameterDefinitions ?? [],
    );
    expect(job).toMatchObject({
      kind: 'other', // no _class on these old controllers
      color: expected.color,
      buildable: expected.buildable,
      parameterized: defs.length > 0,
    });
    expect(job.lastBuild?.number ?? null).toBe(
      expected.lastBuild?.number ?? null,
    );
  });

  it.each(inCategories('jobs-root', 'jobs-folder'))(
    'reads folder listing %s',
    async file => {
      serve(file);
      const listing = await client.listFolder(
        file.startsWith('jobs-root') ? '' : 'F',
      );
      expectCheapTree();
      const expected = JSON.parse(readCapture(file));
      expect(listing.jobs!.map(item => isFolder(item))).toEqual(
        expected.jobs.map((j: any) =>
          /Folder|MultiBranch/.test(j._class ?? ''),
        ),
      );
      const jobs = listing.jobs!.filter(item => !isFolder(item));
      // Folders and some jobs have no colour: null, never undefined.
      expect(
        jobs.map(item =>
          mapJob(item, { now: NOW, fullName: item.name!, schedule: null }),
        ),
      ).toEqual(
        jobs.map(item =>
          expect.objectContaining({
            color: item.color ?? null,
            lastBuild: null,
          }),
        ),
      );
    },
  );

  it.each(inCategories('queue-item'))('reads queue item %s', async file => {
    serve(file);
    const raw = (await client.getQueueItem(143)) as RawQueueItem;
    expectCheapTree();
    const expected = JSON.parse(readCapture(file));
    let state = 'queued';
    if (expected.cancelled) state = 'cancelled';
    else if (expected.executable) state = 'started';
    const build =
      state === 'started'
        ? {
            build: {
              number: expected.executable.number,
              url: expected.executable.url,
            },
          }
        : {};
    expect(mapQueueItem(raw)).toEqual({
      id: expected.id ?? 0,
      state,
      why: expected.why ?? null,
      ...build,
    });
  });

  it.each(inCategories('queue-list'))('maps the items of %s', file => {
    const items = JSON.parse(readCapture(file)).items as RawQueueItem[];
    expect(items.map(mapQueueItem)).toEqual(
      items.map(item => ({
        id: item.id,
        state: 'queued',
        why: 'Waiting for next available executor',
      })),
    );
  });

  it.each(inCategories('queue-list'))(
    'lists the queue of %s with who queued each item',
    async file => {
      serve(file);
      const listing = await client.listQueue({ causes: true });
      expectCheapTree();
      expect(lastQuery().get('tree')).toContain('actions[causes[');
      const expected = JSON.parse(readCapture(file));
      // Anonymous causes have userId null: never taken for the portal's user.
      expect(
        listing.items!.map(item =>
          item.actions!.flatMap(a => a?.causes ?? []).map(c => c.userId),
        ),
      ).toEqual(expected.items.map(() => [null]));
    },
  );

  it.each(inCategories('config-xml'))('reads the timer of %s', async file => {
    serve(file, 'application/xml');
    const spec = await client.getTimerSpec('a/b');
    expect(server.requests[server.requests.length - 1].url).toBe(
      '/job/a/job/b/config.xml',
    );
    expect(spec).toBe(file.includes('multibranch') ? 'H H * * H(6-7)' : null);
  });

  it.each(inCategories('console-text', 'progressive-text'))(
    'streams log %s with its headers',
    async file => {
      body = readCapture(file);
      headers = {
        'Content-Type': 'text/plain;charset=UTF-8',
        'X-Text-Size': String(Buffer.byteLength(body)),
        'X-More-Data': 'true',
      };
      const chunk = await client.streamLog('a/b', 7, 0);
      let text = '';
      for await (const part of chunk.stream) text += part;
      expect(text).toBe(body);
      expect(chunk.textSize).toBe(String(Buffer.byteLength(body)));
      expect(chunk.moreData).toBe('true');
      expect(server.requests[server.requests.length - 1].url).toBe(
        '/job/a/job/b/7/logText/progressiveText?start=0',
      );
    },
  );

  it('maps a running build (building, result null, duration 0) with elapsed time', () => {
    const raw = JSON.parse(
      readCapture('build-success/jenkins-rest__build-info-no-params.json'),
    );
    const running = { ...raw, building: true, result: null, duration: 0 };
    const build = mapBuild(running, { now: raw.timestamp + 90_000 });
    expect(build).toMatchObject({
      status: 'running',
      building: true,
      result: null,
      durationMs: 90_000,
    });
  });

  it('keeps the old timestamp-style build id apart from the number', () => {
    const raw = JSON.parse(
      readCapture('build-success/node-jenkins__buildGet.json'),
    );
    expect(raw.id).toBe('2014-07-25_05-15-17');
    const build = mapBuild(raw, { now: NOW });
    expect(build.number).toBe(1);
    expect(build.startedAt).toBe('2014-07-25T05:15:17.652Z');
  });

  it('treats an aborted build with estimatedDuration -1 as aborted with no estimate', () => {
    const raw = JSON.parse(
      readCapture(
        'build-aborted/jenkins-rest-fork__BuildInfo.java.comment.json',
      ),
    );
    const build = mapBuild(raw, { now: NOW });
    expect(build.status).toBe('aborted');
    expect(build.estimatedDurationMs).toBe(0);
    expect(build.causes[0]).toMatchObject({ kind: 'user', userId: 'admin' });
  });
});
