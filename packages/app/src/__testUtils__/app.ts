import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = path.resolve(__dirname, '../../../..');
const appDir = path.resolve(__dirname, '../..');

/**
 * The app's config as `npm start` merges it for the frontend: app-config.yaml,
 * then the demo's app-config.development.yaml (objects merged key by key).
 */
export function appConfig(extraExtensions: unknown[] = []) {
  const read = (file: string) =>
    parse(fs.readFileSync(path.join(repoRoot, file), 'utf8'));
  const base = read('app-config.yaml');
  const dev = read('app-config.development.yaml');
  return {
    app: {
      ...base.app,
      ...dev.app,
      extensions: [...(base.app.extensions ?? []), ...extraExtensions],
    },
    backend: { baseUrl: dev.backend.baseUrl },
    organization: base.organization,
    techdocs: { builder: 'local' },
  };
}

/**
 * What `backstage-cli package build|start` puts in the bundle when the config
 * says `app.packages: all`: the root and `./alpha` default exports of every
 * frontend plugin (or module) in packages/app/package.json's dependencies.
 */
export function discoverAsTheCliDoes() {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(appDir, 'package.json'), 'utf8'),
  );
  const modules = Object.keys(pkg.dependencies).flatMap(name => {
    const depPkg = require(`${name}/package.json`);
    if (
      !['frontend-plugin', 'frontend-plugin-module'].includes(
        depPkg.backstage?.role,
      )
    ) {
      return [];
    }
    const entries = [{ name, import: name }];
    if (depPkg.exports && './alpha' in depPkg.exports) {
      entries.push({ name, import: `${name}/alpha` });
    }
    return entries.map(e => ({ name, default: require(e.import).default }));
  });
  (window as any)['__@backstage/discovered__'] = { modules };
  return modules.map(m => m.name);
}

const guest = {
  backstageIdentity: {
    // header.payload.signature, the payload with the guest's claims
    token: `x.${btoa(
      JSON.stringify({
        sub: 'user:development/guest',
        ent: ['user:development/guest'],
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
    )}.x`,
    identity: {
      type: 'user',
      userEntityRef: 'user:development/guest',
      ownershipEntityRefs: ['user:development/guest'],
    },
  },
  profile: { displayName: 'Guest' },
};

/** The backend, as far as the first screens of the app need it. */
export function fakeBackend() {
  const requests: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  global.fetch = jest.fn(async (input: RequestInfo | URL) => {
    const url = new URL(
      typeof input === 'string' || input instanceof URL ? input : input.url,
    );
    requests.push(url.pathname);
    if (url.pathname === '/api/auth/guest/refresh') return json(guest);
    if (url.pathname.startsWith('/api/catalog/entities/by-query')) {
      return json({ items: [], totalItems: 0, pageInfo: {} });
    }
    if (url.pathname.startsWith('/api/catalog/entity-facets')) {
      return json({ facets: {} });
    }
    if (url.pathname === '/api/permission/authorize') {
      return json({ items: [] });
    }
    return json({ error: { name: 'NotFoundError', message: 'no' } }, 404);
  }) as typeof fetch;
  return requests;
}

/** jsdom has no SVG layout; the app visualizer's tree view measures its nodes. */
export function stubSvgLayout() {
  (window.SVGElement.prototype as any).getBBox = () => ({
    x: 0,
    y: 0,
    width: 100,
    height: 20,
  });
}

/** The code block under `<!-- snippet: name -->` in a package's README. */
export function readmeSnippet(readme: string, name: string): string {
  const text = fs.readFileSync(path.join(repoRoot, readme), 'utf8');
  const match = text.match(
    new RegExp(`<!-- snippet: ${name} -->\\n\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`),
  );
  if (!match) throw new Error(`no snippet ${name} in ${readme}`);
  return match[1];
}
