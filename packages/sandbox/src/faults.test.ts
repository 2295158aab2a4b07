import { Sandbox, startSandbox } from './index';

const auth = `Basic ${Buffer.from('admin:sandbox-token').toString('base64')}`;
const passwordAuth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

describe('Jenkins fault injection', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: 'manual', startTime: Date.UTC(2026, 10, 2, 9, 0) });
  });
  afterAll(() => sandbox.close());
  afterEach(() => sandbox.faults.clear());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${sandbox.jenkinsUrl}${path}`, { headers: { Authorization: auth, ...headers } });

  it('answers matching requests with 5xx, then recovers after `times`', async () => {
    sandbox.faults.set({ path: '/job/DEV/**', method: 'GET', status: 503, times: 1 });
    const first = await get('/job/DEV/api/json');
    expect(first.status).toBe(503);
    expect(await first.text()).toContain('HTTP ERROR 503');
    expect((await get('/job/DEV/api/json')).status).toBe(200);
    // Other paths were never affected.
    expect(sandbox.faults.active).toEqual([]);
  });

  it("serves Jenkins' Oops page and a proxy's 502 page", async () => {
    sandbox.faults.set({ path: '/api/json', html: 'oops', times: 1 });
    sandbox.faults.set({ path: '/api/json', html: 'proxy-502', times: 1 });
    const oops = await get('/api/json');
    expect(oops.status).toBe(500);
    expect(await oops.text()).toContain('Oops!');
    const proxy = await get('/api/json');
    expect(proxy.status).toBe(502);
    expect(proxy.headers.get('server')).toMatch(/nginx/);
  });

  it('resets the connection, and cuts JSON short', async () => {
    sandbox.faults.set({ path: '/api/json', reset: true, times: 1 });
    await expect(get('/api/json')).rejects.toThrow();
    sandbox.faults.set({ path: '/api/json', malformedJson: true, times: 1 });
    const bad = await get('/api/json');
    expect(bad.status).toBe(200);
    await expect(bad.json()).rejects.toThrow();
  });

  it('adds latency and lets the request through', async () => {
    sandbox.faults.set({ path: '/api/json', latencyMs: 150, times: 1 });
    const started = Date.now();
    const res = await get('/api/json');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects a valid crumb once, as after a session expiry', async () => {
    const crumbRes = await get('/crumbIssuer/api/json', { Authorization: passwordAuth });
    const crumb = await crumbRes.json();
    const cookie = crumbRes.headers.get('set-cookie')!.split(';')[0];
    const post = () =>
      fetch(`${sandbox.jenkinsUrl}/job/DEV/job/push-notifier/job/push-dispatch/build`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Authorization: passwordAuth, Cookie: cookie, [crumb.crumbRequestField]: crumb.crumb },
      });
    sandbox.faults.set({ method: 'POST', path: '/job/**', crumbExpired: true, times: 1 });
    const rejected = await post();
    expect(rejected.status).toBe(403);
    expect(await rejected.text()).toContain('No valid crumb');
    expect((await post()).status).toBe(201);
  });

  it('is controlled over HTTP for the browser journey', async () => {
    const set = await fetch(`${sandbox.jenkinsUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rules: [{ path: '/queue/**', status: 500 }] }),
    });
    expect(set.status).toBe(200);
    expect((await get('/queue/api/json')).status).toBe(500);
    const invalid = await fetch(`${sandbox.jenkinsUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 200 }),
    });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error).toMatch(/status/);
    await fetch(`${sandbox.jenkinsUrl}/__sandbox/faults`, { method: 'DELETE' });
    expect((await get('/queue/api/json')).status).toBe(200);
  });

  it('counts the bytes of every answer', async () => {
    const before = sandbox.bytesSent();
    const res = await get('/job/DEV/api/json?tree=jobs[name]');
    const body = await res.text();
    expect(sandbox.bytesSent() - before).toBe(Buffer.byteLength(body));
  });
});
