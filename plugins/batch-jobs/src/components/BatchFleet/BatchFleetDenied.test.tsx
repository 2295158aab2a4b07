import { screen, waitFor } from '@testing-library/react';
import { NODE, fakeApi, render } from '../../__testUtils__/fleet';

// Its own file: usePermission caches basic permissions for the whole module (SWR).
describe('BatchFleet without the fleet permissions', () => {
  it('disables launch and terminate, with the permission named', async () => {
    await render(fakeApi(), false);
    await screen.findByText('STG agents');
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Launch agent' })).toBeDisabled(),
    );
    expect(screen.getByRole('button', { name: `Terminate ${NODE}` })).toBeDisabled();
  });
});
