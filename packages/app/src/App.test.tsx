import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  appConfig,
  discoverAsTheCliDoes,
  fakeBackend,
  stubSvgLayout,
} from './__testUtils__/app';

describe('App', () => {
  beforeAll(stubSvgLayout);

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
    await waitFor(() => expect(requests).toContain('/api/auth/guest/refresh'), {
      timeout: 20000,
    });

    const nav = await screen.findByRole(
      'navigation',
      { name: 'sidebar nav' },
      { timeout: 20000 },
    );
    const link = (name: string) =>
      within(nav).getByRole('link', { name, exact: true } as any);
    await waitFor(() => expect(link('Batch Fleet')).toBeInTheDocument(), {
      timeout: 20000,
    });
    expect(link('Batch Fleet')).toHaveAttribute('href', '/batch-fleet');
    expect(link('Catalog')).toHaveAttribute('href', '/');
    expect(link('Create')).toHaveAttribute('href', '/create');
    expect(link('APIs')).toHaveAttribute('href', '/api-docs');
    expect(link('Docs')).toHaveAttribute('href', '/docs');
    expect(link('Settings')).toHaveAttribute('href', '/settings');

    // The catalog is the landing page (page:catalog at / in app-config.yaml).
    await waitFor(
      () =>
        expect(requests.some(p => p.startsWith('/api/catalog/'))).toBe(true),
      { timeout: 20000 },
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
