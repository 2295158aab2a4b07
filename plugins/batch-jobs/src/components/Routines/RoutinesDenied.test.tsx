import { screen, waitFor, within } from '@testing-library/react';
import { fakeApi, render } from '../../__testUtils__/routines';

// Its own file: usePermission caches basic permissions for the whole module (SWR).
describe('Routines without batch-jobs.routine.run', () => {
  it('disables run now and dry run, history stays available', async () => {
    await render(fakeApi(), false);
    const card = (await screen.findByLabelText('Orphan reaper status')).closest('[class*="MuiCard"]') as HTMLElement;
    await waitFor(() => expect(within(card).getByRole('button', { name: 'Run now' })).toBeDisabled());
    expect(within(card).getByRole('button', { name: 'Dry run' })).toBeDisabled();
    expect(within(card).getByRole('button', { name: 'History' })).toBeEnabled();
  });
});
