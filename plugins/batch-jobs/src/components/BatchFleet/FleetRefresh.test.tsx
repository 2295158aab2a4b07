import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  FleetRefresh,
  FleetResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { NODE, fakeApi, render } from '../../__testUtils__/fleet';
import { whenEnabled } from '../../__testUtils__/render';

const image = (version: number, ageDays: number, stale: boolean) => ({
  imageId: version === 2 ? 'ami-0new' : 'ami-0old',
  imageCreatedAt: '2026-08-20T09:00:00.000Z',
  imageAgeDays: ageDays,
  launchTemplateId: 'lt-0batch',
  launchTemplateVersion: version,
  defaultVersion: 2,
  defaultImageId: 'ami-0new',
  stale,
  staleReasons: stale
    ? [`launch template version ${version}, default is 2`]
    : [],
});

/** The fixture's STG fleet with images: the worker stale, the batch agent current. */
async function withImages(): Promise<FleetResponse> {
  const fleet = await fakeApi().getFleet();
  const stg = fleet.vpcs[0];
  return {
    ...fleet,
    vpcs: [
      {
        ...stg,
        agents: [
          { ...stg.agents[0], image: image(1, 74, true) },
          { ...stg.agents[1], image: image(2, 3, false) },
        ],
        images: {
          agents: 2,
          stale: 1,
          oldestImageDays: 74,
          maxImageAgeDays: 30,
          summary: '1 of 2 agents stale, oldest image 74 days',
        },
      },
    ],
  };
}

const refresh = (state: FleetRefresh['state']): FleetRefresh => ({
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'fleet.refresh',
  state,
  vpc: 'STG',
  actor: 'user:default/jane',
  approvedBy: null,
  reason: null,
  batchSize: 1,
  minHealthyExecutors: 1,
  drainTimeoutSeconds: 3600,
  targets: [],
  agents: [
    {
      node: NODE,
      instanceId: 'i-0aaaaaaaaaaaaaaaa',
      type: 'worker',
      executors: 1,
      fromVersion: 1,
      state: 'draining',
      batch: 1,
      replacement: {
        instanceId: 'i-0eeeeeeeeeeeeeeee',
        node: 'i-0eeeeeeeeeeeeeeee-EC2-AGENT',
      },
      launchDeadline: null,
      drainingSince: '2026-11-02T09:00:00.000Z',
      steps: [
        {
          at: '2026-11-02T09:00:00.000Z',
          message: 'Waiting for 1 running build on the old agent',
        },
      ],
    },
  ],
  message: null,
  auditId: 'a-1',
  createdAt: '2026-11-02T09:00:00.000Z',
  updatedAt: '2026-11-02T09:00:00.000Z',
});

describe('BatchFleet image age and refresh', () => {
  it('shows the stale count, each agent image, and filters the stale ones', async () => {
    const fleet = await withImages();
    await render(fakeApi({ getFleet: jest.fn(async () => fleet) }));
    expect(await screen.findByLabelText('STG image age')).toHaveTextContent(
      '1 of 2 agents stale, oldest image 74 days',
    );
    expect(screen.getByText('v1 → v2 · 74 d (stale)')).toBeInTheDocument();
    expect(screen.getByText('v2 · 3 d')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Stale (1)' }));
    const table = screen.getByRole('table', { name: 'STG agents' });
    expect(within(table).getByText(NODE)).toBeInTheDocument();
    expect(
      within(table).queryByText('i-0bbbbbbbbbbbbbbbb-EC2-AGENT'),
    ).toBeNull();
  });

  it('starts a refresh with the batch size and minimum given', async () => {
    const fleet = await withImages();
    const api = fakeApi({
      getFleet: jest.fn(async () => fleet),
      startRefresh: jest.fn(async () => refresh('running')),
    });
    await render(api);
    fireEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Refresh agents' }),
      ),
    );
    fireEvent.change(screen.getByLabelText('Batch size'), {
      target: { value: '2' },
    });
    fireEvent.change(screen.getByLabelText('Minimum healthy executors'), {
      target: { value: '4' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Refresh 1 agent' }));
    await waitFor(() =>
      expect(api.startRefresh).toHaveBeenCalledWith('STG', {
        batchSize: 2,
        minHealthyExecutors: 4,
      }),
    );
  });

  it("shows a running refresh's progress per agent and pauses it", async () => {
    const fleet = await withImages();
    const api = fakeApi({
      getFleet: jest.fn(async () => fleet),
      listRefreshes: jest.fn(async () => ({ items: [refresh('running')] })),
      controlRefresh: jest.fn(async () => refresh('paused')),
    });
    await render(api);
    const progress = await screen.findByLabelText('STG refresh progress');
    expect(progress).toHaveTextContent('running · 0 of 1 agents replaced');
    expect(
      within(progress).getByText(
        /→ i-0eeeeeeeeeeeeeeee-EC2-AGENT: draining — Waiting for 1 running build/,
      ),
    ).toBeInTheDocument();
    fireEvent.click(
      await whenEnabled(() =>
        within(progress).getByRole('button', { name: 'Pause refresh' }),
      ),
    );
    await waitFor(() =>
      expect(api.controlRefresh).toHaveBeenCalledWith(
        '00000000-0000-4000-8000-000000000001',
        'pause',
      ),
    );
  });
});
