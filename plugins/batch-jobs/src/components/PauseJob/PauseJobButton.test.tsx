import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeApi, entityRef } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { PauseJobButton, PauseLabel } from './PauseJobButton';

const job = 'DEV/payments-settlement/settlement-reconcile';

describe('PauseJobButton', () => {
  it('needs a reason, then pauses with it and an optional end', async () => {
    const api = createFakeApi({
      pauseJob: jest.fn(async () => ({
        auditId: 'a',
        vpc: 'DEV',
        job,
        paused: true,
      })),
    });
    const onChanged = jest.fn();
    await renderWithApis(
      <PauseJobButton
        entityRef={entityRef}
        vpc="DEV"
        job={job}
        paused={false}
        onChanged={onChanged}
      />,
      { api },
    );
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Pause settlement-reconcile' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Pause job' }),
    );
    expect(await within(dialog).findByText(/Say why/)).toBeInTheDocument();
    expect(api.pauseJob).not.toHaveBeenCalled();

    await userEvent.type(
      within(dialog).getByLabelText(/Reason/),
      'DB migration',
    );
    await userEvent.type(
      within(dialog).getByLabelText(/Resume by itself at/),
      '2030-01-02T03:04',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Pause job' }),
    );
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(api.pauseJob).toHaveBeenCalledWith({
      vpc: 'DEV',
      job,
      entityRef,
      reason: 'DB migration',
      until: new Date('2030-01-02T03:04').toISOString(),
    });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('resumes a paused job, showing who paused it', async () => {
    const api = createFakeApi({
      resumeJob: jest.fn(async () => ({
        auditId: 'a',
        vpc: 'DEV',
        job,
        paused: false,
      })),
    });
    await renderWithApis(
      <PauseJobButton
        entityRef={entityRef}
        vpc="DEV"
        job={job}
        paused
        pause={{
          by: 'user:default/jane',
          reason: 'DB migration',
          at: new Date(Date.now() - 2 * 3600_000).toISOString(),
        }}
      />,
      { api },
    );
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Resume settlement-reconcile' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('paused by jane: DB migration, 2 h ago');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Resume job' }),
    );
    await waitFor(() =>
      expect(api.resumeJob).toHaveBeenCalledWith({
        vpc: 'DEV',
        job,
        entityRef,
      }),
    );
  });

  it("shows Jenkins' refusal", async () => {
    const api = createFakeApi({
      pauseJob: jest.fn(async () => {
        throw new Error("Jenkins 'sandbox' refused disable of job (HTTP 403)");
      }),
    });
    await renderWithApis(
      <PauseJobButton
        entityRef={entityRef}
        vpc="DEV"
        job={job}
        paused={false}
      />,
      { api },
    );
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Pause settlement-reconcile' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText(/Reason/), 'freeze');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Pause job' }),
    );
    expect(
      await within(dialog).findByText(
        /Jenkins refused: Jenkins 'sandbox' refused disable/,
      ),
    ).toBeInTheDocument();
  });

  it('is disabled without the permission', async () => {
    await renderWithApis(
      <PauseJobButton
        entityRef="component:default/not-mine-pause"
        vpc="DEV"
        job={job}
        paused={false}
      />,
      { api: createFakeApi(), permissionApi: fakePermissionApi(false) },
    );
    const button = screen.getByRole('button', {
      name: 'Pause settlement-reconcile',
    });
    await waitFor(() => expect(button).toBeDisabled());
  });

  it('labels a pause with who, why, when and until', async () => {
    await renderWithApis(
      <PauseLabel
        pause={{
          by: 'user:default/jane',
          reason: 'DB migration',
          at: new Date(Date.now() - 2 * 3600_000).toISOString(),
          until: '2030-01-02T03:04:00Z',
        }}
      />,
      { api: createFakeApi() },
    );
    expect(screen.getByText(/paused by jane: DB migration/)).toHaveTextContent(
      /2 h ago \(until .+\)/,
    );
  });
});
