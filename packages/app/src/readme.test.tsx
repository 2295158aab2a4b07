import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  appConfig,
  discoverAsTheCliDoes,
  fakeBackend,
  readmeSnippet,
  repoRoot,
  stubSvgLayout,
} from './__testUtils__/app';

// This app is wired as plugins/batch-jobs/README.md tells an adopter with a
// new-frontend-system app to wire theirs.
const README = 'plugins/batch-jobs/README.md';

describe('the Batch Jobs README, new frontend system', () => {
  beforeAll(stubSvgLayout);

  it('shows App.tsx as it is here', () => {
    expect(
      fs.readFileSync(path.join(repoRoot, 'packages/app/src/App.tsx'), 'utf8'),
    ).toBe(readmeSnippet(README, 'nfs-app-tsx'));
  });

  it("shows app-config.yaml's discovery setting as it is here", () => {
    const snippet = parse(readmeSnippet(README, 'nfs-app-config'));
    const config = parse(
      fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
    );
    expect(config.app.packages).toEqual(snippet.app.packages);
  });

  it('moves the page and drops the fleet card with its extension config example', async () => {
    const example = parse(readmeSnippet(README, 'nfs-app-config-extensions'));
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        { data: appConfig(example.app.extensions), context: 'test' },
      ] as any,
    };
    discoverAsTheCliDoes();
    fakeBackend();
    const { default: App } = await import('./App');

    render(App.createRoot());
    await userEvent.click(
      await screen.findByRole('button', { name: 'Enter' }, { timeout: 20000 }),
    );
    const nav = await screen.findByRole(
      'navigation',
      { name: 'sidebar nav' },
      { timeout: 20000 },
    );
    expect(
      await within(nav).findByRole('link', { name: 'Batch Fleet' }),
    ).toHaveAttribute('href', '/fleet');

    await userEvent.click(within(nav).getByRole('link', { name: 'Visualizer' }));
    await userEvent.click(
      await screen.findByRole('tab', { name: 'Text' }, { timeout: 20000 }),
    );
    expect(
      (
        await screen.findAllByText(/entity-card:batch-jobs\/jobs/, undefined, {
          timeout: 20000,
        })
      ).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByText(/entity-card:batch-jobs\/fleet/)).toBeNull();
  }, 60000);
});
