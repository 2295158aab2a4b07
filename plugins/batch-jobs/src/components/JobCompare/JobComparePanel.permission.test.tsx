import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import { batchJobConfigApiRef } from '../../api/BatchJobConfigApi';
import { fakeApi, JOB, render } from '../../__testUtils__/jobCompare';
import { FreshPermissionCache } from '../../__testUtils__/render';
import { JobComparePanel } from './JobComparePanel';

/** A policy allowing batch-jobs.job.promote in `vpc` only. */
function promoteOnlyIn(vpc: string) {
  return {
    authorize: jest.fn(async (request: any) => ({
      result: request.resourceRef === vpc ? 'ALLOW' : 'DENY',
    })),
  };
}

const renderWith = (permissionApi: ReturnType<typeof promoteOnlyIn>) =>
  renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider
        apis={[
          [batchJobConfigApiRef, fakeApi()],
          [permissionApiRef, permissionApi as unknown as PermissionApi],
        ]}
      >
        <JobComparePanel
          vpc="DEV"
          job={`DEV/${JOB}`}
          vpcs={['DEV', 'STG', 'PROD']}
          entityRef="component:default/payments-settlement"
        />
      </TestApiProvider>
    </FreshPermissionCache>,
  );

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

  it('asks about the target VPC: allowed in STG, DEV → STG is enabled', async () => {
    const permissionApi = promoteOnlyIn('STG');
    await renderWith(permissionApi);
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Promote DEV → STG' }),
      ).toBeEnabled(),
    );
    expect(permissionApi.authorize).toHaveBeenCalledWith(
      expect.objectContaining({
        permission: expect.objectContaining({ name: 'batch-jobs.job.promote' }),
        resourceRef: 'STG',
      }),
    );
  });

  it('allowed only in the source VPC (DEV), DEV → STG stays disabled', async () => {
    const permissionApi = promoteOnlyIn('DEV');
    await renderWith(permissionApi);
    // Asked about STG (and denied there), never about DEV.
    await waitFor(() =>
      expect(permissionApi.authorize).toHaveBeenCalledWith(
        expect.objectContaining({ resourceRef: 'STG' }),
      ),
    );
    await permissionApi.authorize.mock.results[0].value;
    expect(permissionApi.authorize).not.toHaveBeenCalledWith(
      expect.objectContaining({ resourceRef: 'DEV' }),
    );
    expect(
      screen.getByRole('button', { name: 'Promote DEV → STG' }),
    ).toBeDisabled();
  });
});
