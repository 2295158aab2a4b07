import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { JOB, fakeApi, render } from '../../__testUtils__/jobCompare';
import { whenEnabled } from '../../__testUtils__/render';

describe('JobComparePanel', () => {
  it('shows the difference, promotes DEV → STG after confirmation, then shows none', async () => {
    const api = fakeApi();
    await render(api);
    const table = await screen.findByRole('table', {
      name: 'Differences across VPCs',
    });
    const row = within(table).getByText('Schedule').closest('tr')!;
    expect(within(row).getByText('H 4 * * *')).toBeInTheDocument();
    expect(within(row).getByText('H/30 * * * *')).toBeInTheDocument();
    expect(within(row).getByText('(no job)')).toBeInTheDocument();
    expect(screen.getByText('Not in PROD.')).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Promote DEV → STG' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(`STG/${JOB} gets DEV's configuration`);
    expect(dialog).toHaveTextContent('Changes: Schedule.');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Promote' }),
    );

    expect(api.promoteJob).toHaveBeenCalledWith({
      job: JOB,
      from: 'DEV',
      to: 'STG',
      entityRef: 'component:default/payments-settlement',
    });
    expect(
      await screen.findByText('Promoted to STG (updated: Schedule).'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        screen.queryByRole('table', { name: 'Differences across VPCs' }),
      ).not.toBeInTheDocument(),
    );
    expect(
      screen.getByText(/No difference between DEV, STG/),
    ).toBeInTheDocument();
  });

  it('cancelling the confirmation promotes nothing', async () => {
    const api = fakeApi();
    await render(api);
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Promote DEV → STG' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Cancel',
      }),
    );
    expect(api.promoteJob).not.toHaveBeenCalled();
  });

  it('shows a refused promotion', async () => {
    const api = fakeApi();
    api.promoteJob.mockRejectedValueOnce(
      new Error('You are not allowed to promote jobs (batch-jobs.job.promote)'),
    );
    await render(api);
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Promote DEV → STG' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Promote',
      }),
    );
    expect(
      await screen.findByText(/not allowed to promote jobs/),
    ).toBeInTheDocument();
  });
});
