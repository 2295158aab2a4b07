import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { JobParameterDefinition } from '@batch-jobs/plugin-batch-jobs-common';
import { createFakeApi, entityRef } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { RunJobButton } from './RunJobButton';

const job = 'DEV/payments-settlement/migrate-ledger';
const definitions: JobParameterDefinition[] = [
  {
    name: 'MIGRATION_DATE',
    type: 'string',
    description: 'Day to migrate',
    default: '',
  },
  {
    name: 'NOTES',
    type: 'text',
    description: 'Free text',
    default: 'line 1\nline 2',
  },
  {
    name: 'DRY_RUN',
    type: 'boolean',
    description: 'Only report',
    default: true,
  },
  {
    name: 'TARGET',
    type: 'choice',
    description: 'Where',
    choices: ['ledger', 'archive'],
    default: 'ledger',
  },
  { name: 'DB_PASSWORD', type: 'password', description: 'Migration user' },
];

function api(overrides = {}) {
  return createFakeApi({
    getJobParameters: jest.fn(
      async ({ fromBuild }: { fromBuild?: number }) => ({
        vpc: 'DEV',
        job,
        definitions,
        ...(fromBuild
          ? {
              fromBuild,
              values: {
                MIGRATION_DATE: '2026-10-31',
                DRY_RUN: false,
                TARGET: 'archive',
              },
            }
          : {}),
      }),
    ),
    runJob: jest.fn(async () => ({
      auditId: 'a1',
      vpc: 'DEV',
      job,
      queueItemId: 9,
      state: 'queued',
    })),
    getQueueItem: jest
      .fn()
      .mockResolvedValueOnce({
        id: 9,
        state: 'queued',
        why: 'In the quiet period',
      })
      .mockResolvedValue({
        id: 9,
        state: 'started',
        why: null,
        build: { number: 77, url: 'http://j/77/' },
      }),
    ...overrides,
  });
}

async function openForm(fake: ReturnType<typeof api>, props = {}) {
  await renderWithApis(
    <RunJobButton entityRef={entityRef} vpc="DEV" job={job} {...props} />,
    { api: fake },
  );
  await userEvent.click(
    await whenEnabled(() =>
      screen.getByRole('button', { name: 'Run migrate-ledger now' }),
    ),
  );
  const dialog = await screen.findByRole('dialog');
  await within(dialog).findByLabelText(/MIGRATION_DATE/);
  return dialog;
}

describe('RunJobButton', () => {
  it('generates a field per parameter kind, pre-filled with the defaults', async () => {
    const dialog = await openForm(api());
    expect(within(dialog).getByLabelText(/MIGRATION_DATE/)).toHaveValue('');
    const notes = within(dialog).getByLabelText('NOTES');
    expect(notes.tagName).toBe('TEXTAREA');
    expect(notes).toHaveValue('line 1\nline 2');
    expect(
      within(dialog).getByRole('checkbox', { name: 'DRY_RUN' }),
    ).toBeChecked();
    expect(
      within(dialog).getByRole('button', { name: /ledger/ }),
    ).toBeInTheDocument();
    const password = within(dialog).getByLabelText('DB_PASSWORD');
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toHaveValue('');
  });

  it('validates before sending: a required field stops the run', async () => {
    const fake = api();
    const dialog = await openForm(fake);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    expect(
      await within(dialog).findByText(
        'Required: the job has no default for it',
      ),
    ).toBeInTheDocument();
    expect(fake.runJob).not.toHaveBeenCalled();
  });

  it('sends the entered values (password only when typed) and follows the build', async () => {
    const fake = api();
    const onStarted = jest.fn();
    const dialog = await openForm(fake, { onStarted });
    await userEvent.type(
      within(dialog).getByLabelText(/MIGRATION_DATE/),
      '2026-11-05',
    );
    await userEvent.click(
      within(dialog).getByRole('checkbox', { name: 'DRY_RUN' }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: /ledger/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'archive' }),
    );
    await userEvent.type(within(dialog).getByLabelText('DB_PASSWORD'), 'pw');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));

    expect(
      await within(dialog).findByText(/In the quiet period/),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(within(dialog).getByRole('status')).toHaveTextContent(
        'Running as build #77',
      ),
    );
    expect(onStarted).toHaveBeenCalled();
    expect(fake.runJob).toHaveBeenCalledWith(
      {
        vpc: 'DEV',
        job,
        entityRef,
        parameters: {
          MIGRATION_DATE: '2026-11-05',
          NOTES: 'line 1\nline 2',
          DRY_RUN: false,
          TARGET: 'archive',
          DB_PASSWORD: 'pw',
        },
      },
      expect.stringMatching(/.{8,}/),
    );
  });

  it('in a VPC that needs four eyes, shows the pending approval and follows no queue item', async () => {
    const fake = api({
      runJob: jest.fn(async () => ({
        approvalRequired: true,
        requestId: 'abcdef12-3456-7890',
        approval: {
          id: 'abcdef12-3456-7890',
          status: 'pending',
          expiresAt: '2026-12-07T10:00:00Z',
        },
      })),
    });
    const dialog = await openForm(fake);
    await userEvent.type(
      within(dialog).getByLabelText(/MIGRATION_DATE/),
      '2026-11-05',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    const notice = await within(dialog).findByRole('status');
    expect(notice).toHaveTextContent(
      /Waiting for approval: DEV needs a second person.*abcdef12.*Nothing was started yet/,
    );
    // Only Close remains: the request is executed from the Approvals list.
    expect(
      within(dialog).queryByRole('button', { name: 'Run' }),
    ).not.toBeInTheDocument();
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(fake.getQueueItem).not.toHaveBeenCalled();
  });

  it("pre-fills from an earlier build's values, never its password", async () => {
    const fake = api();
    const dialog = await openForm(fake, { fromBuild: 41 });
    expect(fake.getJobParameters).toHaveBeenCalledWith({
      vpc: 'DEV',
      job,
      fromBuild: 41,
    });
    expect(within(dialog).getByLabelText(/MIGRATION_DATE/)).toHaveValue(
      '2026-10-31',
    );
    expect(
      within(dialog).getByRole('checkbox', { name: 'DRY_RUN' }),
    ).not.toBeChecked();
    expect(
      within(dialog).getByRole('button', { name: /archive/ }),
    ).toBeInTheDocument();
    expect(within(dialog).getByLabelText('DB_PASSWORD')).toHaveValue('');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    await waitFor(() => expect(fake.runJob).toHaveBeenCalled());
    expect(fake.runJob.mock.calls[0][0].parameters).not.toHaveProperty(
      'DB_PASSWORD',
    );
  });

  it("shows Jenkins' refusal and lets the user go back to the form", async () => {
    const refusal = Object.assign(new Error('409'), {
      body: {
        error: {
          name: 'ConflictError',
          message: "Jenkins 'sandbox' refused build: is not buildable",
        },
      },
    });
    const fake = api({
      runJob: jest.fn(async () => {
        throw refusal;
      }),
    });
    const dialog = await openForm(fake, { fromBuild: 41 });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
    expect(
      await within(dialog).findByText(
        /The run was refused: Jenkins 'sandbox' refused build/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Back to the form' }),
    );
    expect(within(dialog).getByLabelText(/MIGRATION_DATE/)).toHaveValue(
      '2026-10-31',
    );
  });

  it('is disabled without the permission', async () => {
    await renderWithApis(
      <RunJobButton
        entityRef="component:default/not-mine-run"
        vpc="DEV"
        job={job}
      />,
      { api: api(), permissionApi: fakePermissionApi(false) },
    );
    const button = screen.getByRole('button', {
      name: 'Run migrate-ledger now',
    });
    await waitFor(() => expect(button).toBeDisabled());
    await userEvent.hover(button.parentElement!);
    expect(
      await screen.findByText('You are not allowed to run jobs of this entity'),
    ).toBeInTheDocument();
  });
});
