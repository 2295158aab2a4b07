import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Sandbox } from '../index';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A plain HTTP call, like curl: no client library between the test and the wire. */
export function request(
  sandbox: Sandbox,
  method: string,
  path: string,
  options: {
    auth?: 'token' | 'password' | 'none' | string;
    headers?: Record<string, string>;
    form?: Record<string, string>;
    /** A raw body (e.g. config.xml); set its content-type in `headers`. */
    body?: string;
  } = {},
): Promise<RawResponse> {
  const { username, apiToken, password } = sandbox.credentials;
  const auth = options.auth ?? 'token';
  const headers: Record<string, string> = { ...options.headers };
  if (auth !== 'none') {
    const secrets: Record<string, string> = { token: apiToken, password };
    const secret = secrets[auth] ?? auth;
    headers.authorization = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  }
  let body: string | undefined = options.body;
  if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const url = new URL(path, sandbox.jenkinsUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, headers, agent: false },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          let raw = Buffer.concat(chunks);
          if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson<T = any>(sandbox: Sandbox, path: string): Promise<T> {
  const res = await request(sandbox, 'GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body);
}

/** `job/A/job/B/…` for a full name. */
export function jobPath(fullName: string): string {
  return `/${fullName.split('/').map(s => `job/${encodeURIComponent(s)}`).join('/')}`;
}
