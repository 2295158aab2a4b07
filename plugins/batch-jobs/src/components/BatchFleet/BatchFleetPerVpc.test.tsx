import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { FleetResponse } from '@batch-jobs/plugin-batch-jobs-common';
import { screen, waitFor, within } from '@testing-library/react';
import { batchFleetApiRef } from '../../api/BatchFleetApi';
import { fakeApi } from '../../__testUtils__/fleet';
import { FreshPermissionCache } from '../../__testUtils__/render';
import { BatchFleet } from './BatchFleet';

/** Two VPCs, one agent each. */
async function twoVpcs(): Promise<FleetResponse> {
  const { vpcs, generatedAt } = await fakeApi().getFleet();
  const stg = vpcs[0];
  const prod = {
    ...stg,
    vpc: 'PROD',
    agents: stg.agents.slice(0, 1).map(a => ({
      ...a,
      node: 'i-0dddddddddddddddd-EC2-AGENT',
      label: 'PROD-worker-agent',
    })),
    queue: [],
  };
  return { generatedAt, vpcs: [stg, prod] };
}

describe('BatchFleet with VPC-scoped permissions', () => {
  it('asks per VPC and gates each VPC on its own answer', async () => {
    // A policy that lets this user launch and terminate in STG only.
    const authorize = jest.fn(async (request: any) => ({
      result: request.resourceRef === 'STG' ? 'ALLOW' : 'DENY',
    }));
    const fleet = await twoVpcs();
    await renderInTestApp(
      <FreshPermissionCache>
        <TestApiProvider
          apis={[
            [
              batchFleetApiRef,
              fakeApi({ getFleet: jest.fn(async () => fleet) }),
            ],
            [permissionApiRef, { authorize } as unknown as PermissionApi],
          ]}
        >
          <BatchFleet pollIntervalMs={60_000} />
        </TestApiProvider>
      </FreshPermissionCache>,
    );
    const card = async (vpc: string) =>
      (await screen.findByText(`${vpc} agents`)).closest(
        '[class*="MuiCard-root"]',
      ) as HTMLElement;
    const stg = await card('STG');
    const prod = await card('PROD');
    await waitFor(() =>
      expect(
        within(stg).getByRole('button', { name: 'Launch agent' }),
      ).toBeEnabled(),
    );
    expect(
      within(stg).getByRole('button', {
        name: 'Terminate i-0aaaaaaaaaaaaaaaa-EC2-AGENT',
      }),
    ).toBeEnabled();
    expect(
      within(prod).getByRole('button', { name: 'Launch agent' }),
    ).toBeDisabled();
    expect(
      within(prod).getByRole('button', {
        name: 'Terminate i-0dddddddddddddddd-EC2-AGENT',
      }),
    ).toBeDisabled();

    const asked = authorize.mock.calls.map(([r]) => [
      r.permission.name,
      r.resourceRef,
    ]);
    for (const vpc of ['STG', 'PROD']) {
      expect(asked).toContainEqual(['batch-jobs.agent.launch', vpc]);
      expect(asked).toContainEqual(['batch-jobs.agent.terminate', vpc]);
      expect(asked).toContainEqual(['batch-jobs.worker.redeploy', vpc]);
    }
    // Never a VPC-scoped question without its VPC.
    expect(asked.filter(([, ref]) => ref === undefined)).toEqual([]);
  });
});
