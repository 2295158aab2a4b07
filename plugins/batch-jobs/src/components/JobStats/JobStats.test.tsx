import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { JobStats, sparklinePoints } from './JobStats';

describe('JobStats', () => {
  it('shows the success rate and a labelled duration sparkline', async () => {
    await renderInTestApp(
      <JobStats
        stats={{
          successRate: 27 / 30,
          recentDurationsMs: [240_000, 260_000, 200_000, 300_000],
          medianDurationMs: 250_000,
          sampleSize: 30,
        }}
      />,
    );
    expect(screen.getByText('90% success')).toBeInTheDocument();
    expect(screen.getByText(/of 30/)).toBeInTheDocument();
    const chart = screen.getByRole('img', {
      name: 'Duration of the last 4 builds, oldest to newest: median 4 min 10 s, latest 5 min',
    });
    const points = chart.querySelector('polyline')!.getAttribute('points')!;
    expect(points.split(' ')).toHaveLength(4);
  });

  it('says so when there is nothing to rate', async () => {
    await renderInTestApp(
      <JobStats
        stats={{
          successRate: null,
          recentDurationsMs: [],
          medianDurationMs: null,
          sampleSize: 0,
        }}
      />,
    );
    expect(screen.getByText('No finished builds')).toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });

  it('draws no line for a single build', async () => {
    await renderInTestApp(
      <JobStats
        stats={{
          successRate: 0,
          recentDurationsMs: [1000],
          medianDurationMs: 1000,
          sampleSize: 1,
        }}
      />,
    );
    expect(screen.getByText('0% success')).toBeInTheDocument();
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });
});

describe('sparklinePoints', () => {
  it('puts the longest build at the top and the shortest at the bottom', () => {
    expect(sparklinePoints([10, 30, 20], 100, 20)).toEqual([
      [2, 18],
      [50, 2],
      [98, 10],
    ]);
  });

  it('draws equal durations as a flat middle line', () => {
    expect(sparklinePoints([5, 5], 10, 20)).toEqual([
      [2, 10],
      [8, 10],
    ]);
  });
});
