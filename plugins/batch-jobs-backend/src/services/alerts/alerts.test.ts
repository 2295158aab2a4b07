import { mockServices } from '@backstage/backend-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { decideAlerts } from './alertDecisions';
import { buildSlackMessage, formatWhen } from './slackMessage';
import { SlackWebhooks } from './SlackWebhooks';

const all = new Set(['start', 'success', 'failure', 'recovery'] as const);
const defaults = new Set(['failure', 'recovery'] as const);

describe('decideAlerts', () => {
  const builds = [
    { number: 10, result: 'FAILURE' },
    { number: 11, result: 'FAILURE' },
    { number: 12, result: 'ABORTED' },
    { number: 13, result: 'SUCCESS' },
    { number: 14, result: 'SUCCESS' },
    { number: 15, result: null },
  ];

  it('reports failures and recoveries after the baseline, by default', () => {
    expect(decideAlerts(builds, 10, defaults)).toEqual([
      { number: 11, event: 'failure' },
      // The aborted build says nothing: 13 recovers from 11.
      { number: 13, event: 'recovery' },
    ]);
  });

  it('reports nothing up to the baseline', () => {
    expect(decideAlerts(builds, 15, all)).toEqual([]);
  });

  it('reports starts (running builds too) and plain successes when asked', () => {
    expect(decideAlerts(builds, 13, all)).toEqual([
      { number: 14, event: 'start' },
      { number: 14, event: 'success' },
      { number: 15, event: 'start' },
    ]);
  });

  it('counts a recovery as a success when recoveries are off', () => {
    expect(decideAlerts(builds, 12, new Set(['success'] as const))).toEqual([
      { number: 13, event: 'success' },
      { number: 14, event: 'success' },
    ]);
  });
});

describe('buildSlackMessage', () => {
  const alert = {
    event: 'failure' as const,
    vpc: 'DEV',
    appName: 'payments-settlement',
    entityRef: 'component:default/payments-settlement',
    job: 'DEV/payments-settlement/daily-settlement-report',
    buildNumber: 43,
    at: new Date(Date.UTC(2026, 10, 2, 9, 30, 5)),
    cause: 'Rerun by user:default/jane in the portal',
    result: 'FAILURE',
    jenkinsUrl: 'http://jenkins/job/DEV/job/x/43/',
    portalUrl:
      'http://portal/catalog/default/component/payments-settlement/batch-jobs',
  };

  it('has the header, the four fields and both buttons', () => {
    const message = buildSlackMessage(alert, 'Europe/Paris');
    expect(message.text).toBe(
      'Failure Batch (DEV): payments-settlement DEV/payments-settlement/daily-settlement-report #43',
    );
    const [header, section, actions] = message.blocks as any[];
    expect(header).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Failure Batch (DEV)', emoji: true },
    });
    expect(section.fields.map((f: any) => f.text)).toEqual([
      '*App Name:*\npayments-settlement',
      '*Job Name:*\ndaily-settlement-report #43',
      '*When:*\n2026-11-02 10:30:05 CET',
      '*Build Cause:*\nRerun by user:default/jane in the portal',
    ]);
    expect(actions.elements.map((e: any) => [e.text.text, e.url])).toEqual([
      ['Open in portal', alert.portalUrl],
      ['Open in Jenkins', alert.jenkinsUrl],
    ]);
  });

  it('escapes the fallback text like the blocks', () => {
    // Slack renders `text` as mrkdwn too: a name like <!channel> would ping everyone.
    const message = buildSlackMessage(
      {
        ...alert,
        appName: 'pay <!channel> & co',
        job: 'DEV/a/<http://evil|x>',
      },
      'UTC',
    );
    expect(message.text).toBe(
      'Failure Batch (DEV): pay &lt;!channel&gt; &amp; co DEV/a/&lt;http://evil|x&gt; #43',
    );
  });

  it('names start and recovery events and escapes mrkdwn', () => {
    const start = buildSlackMessage(
      { ...alert, event: 'start', cause: 'Started by upstream job <a> & b' },
      'UTC',
    );
    expect((start.blocks[0] as any).text.text).toBe('Start Batch (DEV)');
    expect((start.blocks[1] as any).fields[3].text).toBe(
      '*Build Cause:*\nStarted by upstream job &lt;a&gt; &amp; b',
    );
    const recovery = buildSlackMessage({ ...alert, event: 'recovery' }, 'UTC');
    expect((recovery.blocks[0] as any).text.text).toBe('Success Batch (DEV)');
    expect(JSON.stringify(recovery.blocks)).toContain('Back to normal');
  });

  it('formats the time in the configured zone', () => {
    expect(formatWhen(alert.at, 'UTC')).toBe('2026-11-02 09:30:05 UTC');
    expect(formatWhen(alert.at, 'America/New_York')).toBe(
      '2026-11-02 04:30:05 GMT-5',
    );
  });
});

describe('SlackWebhooks', () => {
  let server: http.Server;
  let url: string;
  let answers: number[];
  let received: unknown[];

  beforeEach(async () => {
    answers = [];
    received = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.statusCode = answers.shift() ?? 200;
        res.end(res.statusCode === 200 ? 'ok' : 'invalid_payload');
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterEach(() => new Promise(r => server.close(r)));

  const slack = (maxAttempts = 3) =>
    new SlackWebhooks({
      logger: mockServices.logger.mock(),
      maxAttempts,
      baseDelayMs: 5,
    });

  it('retries 5xx and 429 with backoff until Slack accepts', async () => {
    answers = [500, 429];
    const delivery = await slack().post(url, { text: 'hi' });
    expect(delivery).toEqual({ ok: true, attempts: 3 });
    expect(received).toEqual([{ text: 'hi' }, { text: 'hi' }, { text: 'hi' }]);
  });

  it('gives up without throwing, and does not retry a 4xx', async () => {
    answers = [400];
    expect(await slack().post(url, { text: 'x' })).toEqual({
      ok: false,
      attempts: 1,
      error: 'HTTP 400: invalid_payload',
    });
    answers = [503, 503, 503];
    const delivery = await slack().post(url, { text: 'x' });
    expect(delivery).toMatchObject({ ok: false, attempts: 3 });
  });

  it('survives a webhook nobody listens on', async () => {
    const delivery = await slack(2).post('http://127.0.0.1:1/hook', {});
    expect(delivery.ok).toBe(false);
    expect(delivery.attempts).toBe(2);
  });
});
