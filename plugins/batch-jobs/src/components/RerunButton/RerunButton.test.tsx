import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  build,
  createFakeApi,
  migrateParameters,
} from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { RerunButton } from './RerunButton';

const job = 'DEV/payments-settlement/migrate-ledger';
const failed = build(41, {
  status: 'failure',
  result: 'FAILURE',
  parameters: migrateParameters,
});

function accepted() {
  return {
    auditId: 'audit-1',
    vpc: 'DEV',
    job,
    queueItemId: 17,
    state: 'queued' as const,
  };
}

describe('RerunButton', () => {
  it('confirms with the parameters, then follows the queue to the new build', async () => {
    const api = createFakeApi({
      rerun: jest.fn(async () => accepted()),
      getQueueItem: jest
        .fn()
        .mockResolvedValueOnce({
          id: 17,
          state: 'queued',
          why: 'Waiting for next available executor on ‘DEV-batch-agent’',
        })
        .mockResolvedValue({
          id: 17,
          state: 'started',
          why: null,
          build: { number: 42, url: 'http://jenkins.test/job/x/42/' },
        }),
    });
    const onOpenBuild = jest.fn();
    const onStarted = jest.fn();
    await renderWithApis(
      <RerunButton
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={job}
        build={failed}
        onOpenBuild={onOpenBuild}
        onStarted={onStarted}
      />,
      { api },
    );

    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Rerun build #41' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText('Rerun migrate-ledger #41 in DEV'),
    ).toBeInTheDocument();
    const parameters = within(dialog).getByRole('table', {
      name: 'Parameters',
    });
    expect(parameters).toHaveTextContent('MIGRATION_DATE2026-11-01');
    expect(parameters).toHaveTextContent('DRY_RUNfalse');
    expect(parameters).toHaveTextContent('DB_PASSWORD••••');
    expect(api.rerun).not.toHaveBeenCalled();

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Rerun' }),
    );

    // findBy* asserts it was shown; the dialog may already have moved on to
    // the started build by the time the next line runs.
    await within(dialog).findByText(/Waiting for next available executor/);
    const link = await within(dialog).findByRole('link', { name: 'build #42' });
    expect(
      within(dialog).getByRole('link', { name: /open in Jenkins/ }),
    ).toHaveAttribute('href', 'http://jenkins.test/job/x/42/');
    expect(api.rerun).toHaveBeenCalledTimes(1);
    expect(api.rerun).toHaveBeenCalledWith(
      {
        vpc: 'DEV',
        job,
        number: 41,
        entityRef: 'component:default/payments-settlement',
      },
      expect.stringMatching(/.{8,}/),
    );
    expect(api.getQueueItem).toHaveBeenCalledWith({ vpc: 'DEV', id: 17 });
    expect(onStarted).toHaveBeenCalled();

    await userEvent.click(link);
    expect(onOpenBuild).toHaveBeenCalledWith(42);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('sends one idempotency key per confirmation, a new one the next time', async () => {
    const api = createFakeApi({
      rerun: jest.fn(async () => {
        throw new Error('nope');
      }),
    });
    await renderWithApis(
      <RerunButton
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={job}
        build={failed}
      />,
      { api },
    );

    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Rerun build #41' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Rerun',
      }),
    );
    await screen.findByText(/The rerun was refused/);
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Rerun build #41' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Rerun',
      }),
    );
    await screen.findByText(/The rerun was refused/);

    expect(api.rerun).toHaveBeenCalledTimes(2);
    const [first, second] = api.rerun.mock.calls.map(call => call[1]);
    expect(first).not.toBe(second);
  });

  it("shows Jenkins' reason when the rerun is refused", async () => {
    const refusal = Object.assign(new Error('Request failed with 409'), {
      body: {
        error: {
          name: 'ConflictError',
          message:
            'Jenkins refused to build DEV/payments-settlement/migrate-ledger: job is disabled',
        },
      },
    });
    const api = createFakeApi({
      rerun: jest.fn(async () => {
        throw refusal;
      }),
    });
    await renderWithApis(
      <RerunButton
        entityRef="component:default/payments-settlement"
        vpc="DEV"
        job={job}
        build={failed}
      />,
      { api },
    );

    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Rerun build #41' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Rerun',
      }),
    );

    expect(
      await screen.findByText(
        'The rerun was refused: Jenkins refused to build DEV/payments-settlement/migrate-ledger: job is disabled',
      ),
    ).toBeInTheDocument();
    expect(api.getQueueItem).not.toHaveBeenCalled();
    expect(screen.queryByText(/build #/)).toBeNull();
  });

  it('is disabled without the permission and opens nothing', async () => {
    const api = createFakeApi();
    await renderWithApis(
      <RerunButton
        // usePermission caches answers per resource across tests (SWR).
        entityRef="component:default/not-mine"
        vpc="DEV"
        job={job}
        build={failed}
      />,
      { api, permissionApi: fakePermissionApi(false) },
    );

    const button = screen.getByRole('button', { name: 'Rerun build #41' });
    await waitFor(() => expect(button).toBeDisabled());
    await userEvent.hover(button.parentElement!);
    expect(
      await screen.findByText(
        'You are not allowed to rerun builds of this entity',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
