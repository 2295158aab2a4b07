import { MissedRunsReport } from '@batch-jobs/plugin-batch-jobs-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeApi } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { MissedRunBadges } from './MissedRunBadges';
import { MissedRunsCard } from './MissedRunsCard';
import { OutageSummary } from './OutageSummary';

const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
const PUSH = 'DEV/push-notifier/push-dispatch';
const unreachable = {
  kind: 'controller-unreachable' as const,
  jenkins: 'sandbox',
  since: '2026-11-02T09:10:00.000Z',
};
const missed = (job: string, expected: string) => ({
  job,
  expected,
  state: 'missed' as const,
  reason: unreachable,
});

function report(overrides: Partial<MissedRunsReport> = {}): MissedRunsReport {
  return {
    vpc: 'DEV',
    from: '2026-11-02T00:00:00.000Z',
    to: '2026-11-02T12:30:00.000Z',
    now: '2026-11-02T12:30:00.000Z',
    graceMs: 600_000,
    scheduledTimeParameter: 'SCHEDULED_TIME',
    outages: [
      {
        jenkins: 'sandbox',
        since: '2026-11-02T09:10:00.000Z',
        until: '2026-11-02T12:10:00.000Z',
      },
    ],
    runs: [
      missed(RECONCILE, '2026-11-02T09:17:00.000Z'),
      missed(PUSH, '2026-11-02T09:20:00.000Z'),
      missed(RECONCILE, '2026-11-02T09:47:00.000Z'),
    ],
    missedCount: 3,
    lateCount: 0,
    ...overrides,
  };
}

describe('missed runs', () => {
  it('says on the fleet page since when the controller is unreachable and how many runs it missed so far', async () => {
    const getMissedRuns = jest.fn(async () =>
      report({
        outages: [
          { jenkins: 'sandbox', since: unreachable.since, until: null },
        ],
      }),
    );
    await renderWithApis(<OutageSummary vpc="DEV" />, {
      api: createFakeApi(),
      missedRunsApi: { getMissedRuns },
    });
    expect(
      await screen.findByText(
        /Controller sandbox unreachable since .*, 3 scheduled runs missed so far/,
      ),
    ).toBeInTheDocument();
    expect(getMissedRuns).toHaveBeenCalledWith({ vpc: 'DEV' });
    // No catch-up while the controller is down.
    expect(screen.queryByRole('button', { name: 'Catch up' })).toBeNull();
  });

  it('catches up after the outage with a choice per job, then follows and stops it', async () => {
    const startCatchUp = jest.fn(async () => ({
      id: 'op-1',
      vpc: 'DEV',
      state: 'running' as const,
      requestedBy: 'user:default/jane',
      concurrency: 2,
      runs: [],
      createdAt: '',
      updatedAt: '',
    }));
    const getCatchUp = jest.fn(async () => ({
      ...(await startCatchUp()),
      runs: [
        {
          job: RECONCILE,
          expected: '2026-11-02T09:47:00.000Z',
          state: 'started' as const,
          buildNumber: 7,
        },
      ],
    }));
    const stopCatchUp = jest.fn(async () => ({
      ...(await getCatchUp()),
      state: 'stopped' as const,
    }));
    await renderWithApis(<OutageSummary vpc="DEV" />, {
      api: createFakeApi(),
      missedRunsApi: {
        getMissedRuns: async () => report(),
        startCatchUp,
        getCatchUp,
        stopCatchUp,
      },
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Catch up' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('2 missed')).toBeInTheDocument();
    // Every missed run of the push job, the latest of the other.
    await userEvent.click(
      within(dialog).getByRole('button', { name: `What to run of ${PUSH}` }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'every missed run' }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Catch up' }),
    );
    await waitFor(() =>
      expect(startCatchUp).toHaveBeenCalledWith(
        expect.objectContaining({
          vpc: 'DEV',
          choice: 'none',
          choices: { [RECONCILE]: 'latest', [PUSH]: 'all' },
        }),
      ),
    );
    expect(
      await within(dialog).findByText(
        /Catching up: 0 of 1 done, at most 2 at once/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Stop the catch-up' }),
    );
    await waitFor(() =>
      expect(stopCatchUp).toHaveBeenCalledWith({ vpc: 'DEV', id: 'op-1' }),
    );
  });

  it("lists a job's missed and paused runs with their reasons in the job view", async () => {
    await renderWithApis(<MissedRunsCard vpc="DEV" job={PUSH} />, {
      api: createFakeApi(),
      missedRunsApi: {
        getMissedRuns: async () =>
          report({
            runs: [
              missed(PUSH, '2026-11-02T09:20:00.000Z'),
              {
                job: PUSH,
                expected: '2026-11-02T13:20:00.000Z',
                state: 'skipped',
                reason: {
                  kind: 'paused',
                  by: 'user:default/jane',
                  reason: 'bank holiday',
                },
              },
            ],
          }),
      },
    });
    expect(
      await screen.findByText('paused by user:default/jane (bank holiday)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/controller unreachable since/),
    ).toBeInTheDocument();
    // Only the missed run is offered to run.
    expect(screen.getAllByRole('button', { name: 'Run now' })).toHaveLength(1);
  });

  it('shows "missed 2" on the job in the jobs table', async () => {
    await renderWithApis(
      <MissedRunBadges report={report()} job={RECONCILE} />,
      {
        api: createFakeApi(),
      },
    );
    expect(await screen.findByText('missed 2')).toBeInTheDocument();
  });

  it('shows nothing in an app without the missed-runs API', async () => {
    await renderWithApis(<OutageSummary vpc="DEV" />, { api: createFakeApi() });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
