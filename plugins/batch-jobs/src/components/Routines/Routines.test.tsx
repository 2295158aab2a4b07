import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeApi, render, run } from '../../__testUtils__/routines';
import { whenEnabled } from '../../__testUtils__/render';

jest.setTimeout(20_000);

describe('Routines', () => {
  it('shows each routine with schedule, next and last run, and the backups with size and verification', async () => {
    await render(fakeApi());
    expect(await screen.findByText('Offline-node sweep')).toBeInTheDocument();
    const sweep = screen.getByLabelText('Offline-node sweep status');
    expect(within(sweep).getByText(/every 15 minute/)).toBeInTheDocument();
    expect(within(sweep).getByText('succeeded')).toBeInTheDocument();
    expect(within(screen.getByLabelText('Orphan reaper status')).getByText('never run')).toBeInTheDocument();
    expect(screen.getByText(/Backup INVALID: .* is empty/)).toBeInTheDocument();
    expect(await screen.findByText('jenkins/jenkins-home-1.tar.gz')).toBeInTheDocument();
    expect(screen.getByText('2.0 KiB')).toBeInTheDocument();
    expect(screen.getByText('verified')).toBeInTheDocument();
    expect(screen.getByText('NOT verified')).toBeInTheDocument();
  });

  it('starts a dry run and shows its progress, then what it would do item by item', async () => {
    const api = fakeApi({
      getRun: jest
        .fn()
        .mockResolvedValueOnce(run({ outcome: 'running', dryRun: true, summary: null, finishedAt: null }))
        .mockResolvedValue(
          run({
            dryRun: true,
            summary: 'would delete 1 node(s), would terminate 0 instance(s), spared 1',
            items: [
              { action: 'delete-node', target: 'i-0aaa-EC2-AGENT', vpc: 'DEV', status: 'planned', message: 'Would delete: offline for 26 h 0 min', at: '' },
              { action: 'spare', target: 'i-0bbb-EC2-AGENT', vpc: 'STG', status: 'skipped', message: 'taken offline by a person', at: '' },
            ],
          }),
        ),
    });
    await render(api);
    const card = (await screen.findByLabelText('Offline-node sweep status')).closest('[class*="MuiCard"]') as HTMLElement;
    fireEvent.click(await whenEnabled(() => within(card).getByRole('button', { name: 'Dry run' })));
    expect(await within(card).findByLabelText('Offline-node sweep running')).toBeInTheDocument();
    expect(api.runRoutine).toHaveBeenCalledWith('offline-node-sweep', { dryRun: true });
    const current = await within(card).findByLabelText('Offline-node sweep current run', {}, { timeout: 5000 });
    await waitFor(() => expect(current).toHaveTextContent(/Dry run succeeded: would delete 1 node/), { timeout: 5000 });
    expect(within(current).getByText(/Would delete: offline for 26 h/)).toBeInTheDocument();
    expect(within(current).getByText(/taken offline by a person/)).toBeInTheDocument();
    // The finished run refreshes the routines; its result must stay on screen.
    await waitFor(() => expect(api.listRoutines.mock.calls.length).toBeGreaterThan(1));
    expect(await screen.findByLabelText('Offline-node sweep current run')).toHaveTextContent(
      /Dry run succeeded: would delete 1 node/,
    );
  });

  it('shows the refusal when a run is already going', async () => {
    const conflict = Object.assign(new Error('Routine jenkins-backup is already running'), { statusCode: 409 });
    await render(fakeApi({ runRoutine: jest.fn().mockRejectedValue(conflict) }));
    const card = (await screen.findByLabelText('Jenkins backup to S3 status')).closest('[class*="MuiCard"]') as HTMLElement;
    fireEvent.click(await whenEnabled(() => within(card).getByRole('button', { name: 'Run now' })));
    expect(await within(card).findByText(/already running/)).toBeInTheDocument();
  });

  it('shows the run history with item-by-item details', async () => {
    const api = fakeApi();
    await render(api);
    const card = (await screen.findByLabelText('Offline-node sweep status')).closest('[class*="MuiCard"]') as HTMLElement;
    fireEvent.click(within(card).getByRole('button', { name: 'History' }));
    fireEvent.click(await within(card).findByRole('button', { name: /Details of run/ }));
    expect(within(card).getByLabelText('Run details')).toHaveTextContent(/done delete-node i-0aaa-EC2-AGENT \(DEV\): Deleted: offline for 26 h/);
    expect(api.listRuns).toHaveBeenCalledWith('offline-node-sweep', 20);
  });

  it('shows the error when routines cannot be read, and an empty state without routines', async () => {
    await render(fakeApi({ listRoutines: jest.fn(async () => { throw new Error('backend down'); }) }));
    expect((await screen.findAllByText(/backend down/)).length).toBeGreaterThan(0);
  });
});
