import { screen, waitFor } from '@testing-library/react';
import { fakeApi, render } from '../../__testUtils__/jobCompare';

// Its own file: usePermission caches answers across the tests of a module.
describe('JobComparePanel without batch-jobs.job.promote', () => {
  it('disables promotion without batch-jobs.job.promote', async () => {
    await render(fakeApi(), false);
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Promote DEV → STG' }),
      ).toBeDisabled(),
    );
  });
});
