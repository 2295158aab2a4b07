import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

const repoRoot = path.resolve(__dirname, '../../..');
const appDir = path.resolve(__dirname, '..');

/**
 * The app's config as `npm start` merges it for the frontend: app-config.yaml,
 * then the demo's app-config.development.yaml (objects merged key by key).
 */
function appConfig() {
  const read = (file: string) =>
    parse(fs.readFileSync(path.join(repoRoot, file), 'utf8'));
  const base = read('app-config.yaml');
  const dev = read('app-config.development.yaml');
  return {
    app: { ...base.app, ...dev.app },
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
function discoverAsTheCliDoes() {
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
function fakeBackend() {
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

describe('App', () => {
  beforeAll(() => {
    // jsdom has no SVG layout; the visualizer's tree view measures its nodes.
    (window.SVGElement.prototype as any).getBBox = () => ({
      x: 0,
      y: 0,
      width: 100,
      height: 20,
    });
  });

  beforeEach(() => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [{ data: appConfig(), context: 'test' }] as any,
    };
    localStorage.clear();
  });

  afterEach(() => {
    delete (window as any)['__@backstage/discovered__'];
  });

  it('discovers Batch Jobs and the Backstage plugins from package.json', () => {
    const discovered = discoverAsTheCliDoes();
    for (const name of [
      '@batch-jobs/plugin-batch-jobs',
      '@backstage/plugin-catalog',
      '@backstage/plugin-scaffolder',
      '@backstage/plugin-search',
      '@backstage/plugin-techdocs',
      '@backstage/plugin-user-settings',
    ]) {
      expect(discovered).toContain(name);
    }
    // The Batch Jobs plugin is the default export of its ./alpha entry point.
    const batchJobs = (window as any)['__@backstage/discovered__'].modules
      .filter((m: any) => m.name === '@batch-jobs/plugin-batch-jobs')
      .map((m: any) => m.default)
      .filter(Boolean);
    expect(batchJobs.map((f: any) => f.pluginId)).toEqual(['batch-jobs']);
  });

  it('signs in as guest, shows every page in the nav and has the Batch Jobs extensions and scaffolder field', async () => {
    discoverAsTheCliDoes();
    const requests = fakeBackend();
    const { default: App } = await import('./App');

    const first = render(App.createRoot());

    // The app's default sign-in page: the guest provider (app-config.development.yaml).: the guest provider only.
    const enter = await screen.findByRole(
      'button',
      { name: 'Enter' },
      { timeout: 20000 },
    );
    expect(screen.getByText('Guest')).toBeInTheDocument();
    await userEvent.click(enter);
    await waitFor(() => expect(requests).toContain('/api/auth/guest/refresh'));

    const nav = await screen.findByRole(
      'navigation',
      { name: 'sidebar nav' },
      { timeout: 20000 },
    );
    const link = (name: string) =>
      within(nav).getByRole('link', { name, exact: true } as any);
    await waitFor(() => expect(link('Batch Fleet')).toBeInTheDocument());
    expect(link('Batch Fleet')).toHaveAttribute('href', '/batch-fleet');
    expect(link('Catalog')).toHaveAttribute('href', '/');
    expect(link('Create')).toHaveAttribute('href', '/create');
    expect(link('APIs')).toHaveAttribute('href', '/api-docs');
    expect(link('Docs')).toHaveAttribute('href', '/docs');
    expect(link('Settings')).toHaveAttribute('href', '/settings');

    // The catalog is the landing page (page:catalog at / in app-config.yaml).
    await waitFor(() =>
      expect(requests.some(p => p.startsWith('/api/catalog/'))).toBe(true),
    );

    // The app visualizer lists every extension the running app has.
    await userEvent.click(
      await within(nav).findByRole('link', { name: 'Visualizer' }),
    );
    await userEvent.click(
      await screen.findByRole('tab', { name: 'Text' }, { timeout: 20000 }),
    );
    for (const id of [
      'page:batch-jobs/fleet',
      'entity-content:batch-jobs',
      'entity-card:batch-jobs/jobs',
      'entity-card:batch-jobs/fleet',
      'api:batch-jobs/service',
      // Not discovered (a module, not a default export): App.tsx adds it.
      'scaffolder-form-field:scaffolder/batch-job-schedule',
    ]) {
      expect(
        (
          await screen.findAllByText(new RegExp(id), undefined, {
            timeout: 20000,
          })
        ).length,
      ).toBeGreaterThan(0);
    }

    // A full page load signs in again with the remembered provider, no Enter.
    first.unmount();
    const refreshes = requests.filter(
      p => p === '/api/auth/guest/refresh',
    ).length;
    render(App.createRoot());
    expect(
      await screen.findByRole(
        'navigation',
        { name: 'sidebar nav' },
        { timeout: 20000 },
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Enter' })).toBeNull();
    expect(
      requests.filter(p => p === '/api/auth/guest/refresh').length,
    ).toBeGreaterThan(refreshes);
  }, 60000);
});
