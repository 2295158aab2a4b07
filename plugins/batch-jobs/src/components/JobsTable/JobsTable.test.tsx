import { screen } from '@testing-library/react';
import { build, createFakeApi, job } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { JobsTable } from './JobsTable';

describe('JobsTable', () => {
  it("shows the failing stage beside a failed pipeline's result, and a pending input's message", async () => {
    await renderWithApis(
      <JobsTable
        vpc="DEV"
        jobs={[
          job('DEV', 'orders-release', {
            lastBuild: build(41, {
              status: 'failure',
              result: 'FAILURE',
              failedStage: 'integration',
            }),
          }),
          job('DEV', 'orders-deploy', {
            lastBuild: build(7, {
              status: 'running',
              result: null,
              building: true,
              waitingForInput: 'Deploy orders to DEV?',
            }),
          }),
          job('DEV', 'daily-report'),
        ]}
      />,
      { api: createFakeApi() },
    );
    const failed = await screen.findByText('in stage integration');
    expect(failed.closest('tr')).toHaveTextContent('orders-release');
    const waiting = screen.getByText(
      'waiting for input: Deploy orders to DEV?',
    );
    expect(waiting.closest('tr')).toHaveTextContent('orders-deploy');
    expect(screen.getAllByText(/in stage|waiting for input/)).toHaveLength(2);
  });

  it('says which schedules and build stats are still being read, and shows the rest', async () => {
    await renderWithApis(
      <JobsTable
        vpc="DEV"
        jobs={[
          job('DEV', 'cold-job', {
            schedule: { spec: null },
            loading: ['schedule', 'stats'],
          }),
          job('DEV', 'warm-job', {
            schedule: { spec: null },
            stats: {
              successRate: 1,
              recentDurationsMs: [1000, 1200],
              medianDurationMs: 1100,
              sampleSize: 2,
            },
          }),
        ]}
      />,
      { api: createFakeApi() },
    );
    const reading = await screen.findByText('reading schedule…');
    expect(reading.closest('tr')).toHaveTextContent('cold-job');
    expect(reading.closest('tr')).toHaveTextContent('reading builds…');
    // Not "manual": an unknown schedule is not an absent one.
    expect(reading.closest('tr')).not.toHaveTextContent('manual');
    const warm = screen.getByText('warm-job').closest('tr')!;
    expect(warm).toHaveTextContent('manual');
    expect(warm).not.toHaveTextContent('reading');
  });

  it('says a schedule that could not be read is unknown, and why: not manual', async () => {
    const error =
      'Could not read its schedule (config.xml) from Jenkins: 403 Forbidden';
    await renderWithApis(
      <JobsTable
        vpc="DEV"
        jobs={[job('DEV', 'locked-job', { schedule: { spec: null, error } })]}
      />,
      { api: createFakeApi() },
    );
    const unknown = await screen.findByText('Schedule unknown');
    const row = unknown.closest('tr')!;
    expect(row).toHaveTextContent('locked-job');
    expect(row).toHaveTextContent(error);
    expect(row).not.toHaveTextContent('manual');
  });
});
