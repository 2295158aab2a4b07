import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { build, createFakeApi, job } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { JobView } from './JobView';

const jobName = 'DEV/payments-settlement/migrate-ledger';

function pagedApi() {
  return createFakeApi({
    getBuilds: jest.fn(async ({ cursor }: { cursor?: string }) =>
      cursor === 'page-2'
        ? {
            items: [
              build(38),
              build(37, { status: 'aborted', result: 'ABORTED' }),
            ],
          }
        : {
            items: [
              build(41, {
                status: 'failure',
                result: 'FAILURE',
                parameters: [
                  { name: 'TARGET', value: 'ledger' },
                  { name: 'DB_PASSWORD', value: null, secret: true },
                ],
              }),
              build(40),
              build(39, { status: 'unstable', result: 'UNSTABLE' }),
            ],
            nextCursor: 'page-2',
          },
    ),
  });
}

describe('JobView', () => {
  it('pages older builds with the server cursor', async () => {
    const api = pagedApi();
    await renderWithApis(
      <JobView
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={jobName}
        summary={job('DEV', 'migrate-ledger')}
        onSelectBuild={jest.fn()}
        pageSize={3}
      />,
      { api },
    );

    expect(await screen.findByText('#41')).toBeInTheDocument();
    expect(screen.queryByText('#38')).toBeNull();
    expect(api.getBuilds).toHaveBeenLastCalledWith({
      vpc: 'DEV',
      job: jobName,
      limit: 3,
    });

    await userEvent.click(
      screen.getByRole('button', { name: 'Load older builds' }),
    );

    expect(await screen.findByText('#38')).toBeInTheDocument();
    expect(screen.getByText('#37')).toBeInTheDocument();
    expect(api.getBuilds).toHaveBeenLastCalledWith({
      vpc: 'DEV',
      job: jobName,
      limit: 3,
      cursor: 'page-2',
    });
    // The last page has no cursor: nothing older to load.
    expect(
      screen.queryByRole('button', { name: 'Load older builds' }),
    ).toBeNull();
  });

  it('shows parameters with secrets masked and rerun only on failed, unstable or aborted builds', async () => {
    await renderWithApis(
      <JobView
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={jobName}
        onSelectBuild={jest.fn()}
      />,
      { api: pagedApi() },
    );

    const row41 = (await screen.findByText('#41')).closest('tr')!;
    expect(row41).toHaveTextContent('TARGET=ledger');
    expect(row41).toHaveTextContent('DB_PASSWORD=••••');
    await whenEnabled(() =>
      within(row41).getByRole('button', { name: 'Rerun build #41' }),
    );

    const row40 = screen.getByText('#40').closest('tr')!;
    expect(within(row40).queryByRole('button', { name: /Rerun/ })).toBeNull();
    const row39 = screen.getByText('#39').closest('tr')!;
    expect(
      within(row39).getByRole('button', { name: 'Rerun build #39' }),
    ).toBeInTheDocument();
  });

  it('disables rerun with an explanation without the permission', async () => {
    await renderWithApis(
      <JobView
        // usePermission caches answers per resource across tests (SWR).
        entityRef="component:default/locked-service"
        vpc="DEV"
        job={jobName}
        onSelectBuild={jest.fn()}
      />,
      { api: pagedApi(), permissionApi: fakePermissionApi(false) },
    );

    const row41 = (await screen.findByText('#41')).closest('tr')!;
    await waitFor(() =>
      expect(
        within(row41).getByRole('button', { name: 'Rerun build #41' }),
      ).toBeDisabled(),
    );
    await userEvent.hover(
      within(row41).getByRole('button', { name: 'Rerun build #41' })
        .parentElement!,
    );
    expect(
      await screen.findByText(
        'You are not allowed to rerun builds of this entity',
      ),
    ).toBeInTheDocument();
  });

  it('selects a build by clicking its row', async () => {
    const onSelectBuild = jest.fn();
    await renderWithApis(
      <JobView
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={jobName}
        onSelectBuild={onSelectBuild}
      />,
      { api: pagedApi() },
    );
    await userEvent.click(await screen.findByText('#40'));
    // material-table waits a moment to tell a click from a double click.
    await waitFor(() => expect(onSelectBuild).toHaveBeenCalledWith(40));
  });

  it('shows the error when builds cannot be read', async () => {
    await renderWithApis(
      <JobView
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={jobName}
        onSelectBuild={jest.fn()}
      />,
      {
        api: createFakeApi({
          getBuilds: jest.fn(async () => {
            throw new Error('Jenkins sandbox is unreachable');
          }),
        }),
      },
    );
    expect(
      (await screen.findAllByText(/Jenkins sandbox is unreachable/)).length,
    ).toBeGreaterThan(0);
  });

  it('keeps the rerun progress open while the builds list refreshes with the new build', async () => {
    const failed = build(41, { status: 'failure', result: 'FAILURE' });
    let rerunDone = false;
    const api = createFakeApi({
      // Before the rerun the failed build is the newest; after it a new build
      // is on top, so every row moves down one place.
      getBuilds: jest.fn(async () => ({
        items: rerunDone
          ? [
              build(42, { status: 'running', building: true, result: null }),
              failed,
            ]
          : [failed],
      })),
      rerun: jest.fn(async () => ({
        auditId: 'audit-1',
        vpc: 'DEV',
        job: jobName,
        queueItemId: 17,
        state: 'queued' as const,
      })),
      getQueueItem: jest.fn(async () => {
        rerunDone = true;
        return {
          id: 17,
          state: 'started' as const,
          why: null,
          build: { number: 42, url: 'http://jenkins.test/job/x/42/' },
        };
      }),
    });
    await renderWithApis(
      <JobView
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={jobName}
        onSelectBuild={jest.fn()}
      />,
      { api },
    );

    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Rerun build #41' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Rerun' }),
    );

    // The refresh puts #42 on top; the dialog must still be there to say so.
    expect(await screen.findByText('#42')).toBeInTheDocument();
    expect(
      await within(screen.getByRole('dialog')).findByText('build #42'),
    ).toBeInTheDocument();
  });
});
