import { batchJobsApiRef } from '../../api/BatchJobsApi';
import { BatchJobsClient } from '../../api/BatchJobsClient';
import {
  MockFetchApi,
  TestApiProvider,
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
} from '@backstage/test-utils';
import { VpcTimeline } from '@batch-jobs/plugin-batch-jobs-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { rest } from 'msw';
import { setupServer } from 'msw/node';
import { ScheduleTimeline } from './ScheduleTimeline';
import {
  ScheduleTimelineChart,
  overlapText,
  ticksFor,
} from './ScheduleTimelineChart';

const server = setupServer();
registerMswTestHooks(server);

const FROM = Date.UTC(2026, 10, 2, 0, 0);
const HOUR = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();
const at = (h: number, m = 0) => iso(FROM + h * HOUR + m * 60_000);

const run = (job: string, start: string, minutes: number) => ({
  job,
  fullName: `DEV/data-platform/${job}`,
  start,
  end: iso(Date.parse(start) + minutes * 60_000),
  expectedDurationMs: minutes * 60_000,
  durationSource: 'estimate' as const,
});

const timeline: VpcTimeline = {
  vpc: 'DEV',
  from: iso(FROM),
  to: iso(FROM + 24 * HOUR),
  labels: [
    {
      label: 'DEV-batch-agent',
      executors: 4,
      runs: [
        ...['a', 'b', 'c', 'd', 'e', 'f'].map(j =>
          run(`extract-${j}`, at(1), 10),
        ),
        run('extract-a', at(13), 10),
      ],
      overlaps: [{ start: at(1), end: at(1, 10), concurrent: 6, executors: 4 }],
      jobs: [
        ...['a', 'b', 'c', 'd', 'e', 'f'].map(j => ({
          name: `extract-${j}`,
          fullName: `DEV/data-platform/extract-${j}`,
          spec: '0 1,13 * * *',
          description: 'daily at 01:00 and 13:00',
          expectedDurationMs: 600_000,
          durationSource: 'estimate' as const,
        })),
        {
          name: 'broken',
          fullName: 'DEV/data-platform/broken',
          spec: 'H 25 * * *',
          expectedDurationMs: 300_000,
          durationSource: 'default' as const,
          error: 'Invalid schedule at line 1',
        },
      ],
    },
    {
      label: 'DEV-worker-agent',
      executors: 1,
      runs: [],
      overlaps: [],
      jobs: [],
    },
  ],
};

describe('ScheduleTimelineChart', () => {
  it('draws a bar per run, a lane per job, grouped by agent label', async () => {
    await renderInTestApp(
      <ScheduleTimelineChart timeline={timeline} timeZone="UTC" />,
    );
    const batch = screen.getByRole('region', {
      name: 'DEV-batch-agent, 4 executors',
    });
    expect(within(batch).getAllByTestId('timeline-run')).toHaveLength(7);
    expect(
      within(batch).getByLabelText(
        'extract-a: 2 runs, daily at 01:00 and 13:00',
      ),
    ).toBeInTheDocument();
    expect(
      within(batch).getByLabelText('broken: Invalid schedule at line 1'),
    ).toBeInTheDocument();
    // 01:00 of a 24 h range starting at 00:00 is 1/24 in; 10 minutes long.
    const bar = within(within(batch).getByLabelText(/^extract-b:/)).getByTestId(
      'timeline-run',
    );
    expect(bar.style.left).toBe(`${(1 / 24) * 100}%`);
    expect(parseFloat(bar.style.width)).toBeCloseTo((10 / (24 * 60)) * 100);
    expect(bar).toHaveAttribute(
      'title',
      'extract-b 01:00–01:10 (expected 10 min, estimate)',
    );
    expect(
      screen.getByRole('region', { name: 'DEV-worker-agent, 1 executors' }),
    ).toBeInTheDocument();
  });

  it('highlights where runs exceed the executors, with a tooltip', async () => {
    await renderInTestApp(
      <ScheduleTimelineChart timeline={timeline} timeZone="UTC" />,
    );
    expect(
      screen.getByText(/4 online executors · 1 overlap/),
    ).toBeInTheDocument();
    const overlap = screen.getByRole('img', {
      name: 'Overlap 01:00–01:10: 6 runs, 4 executors',
    });
    fireEvent.mouseOver(overlap);
    expect(
      await screen.findByText('6 runs, 4 executors (01:00–01:10)'),
    ).toBeInTheDocument();
  });

  it('draws runs that did not happen as hollow marks and the outage as a band', async () => {
    await renderInTestApp(
      <ScheduleTimelineChart
        timeline={timeline}
        timeZone="UTC"
        missed={{
          runs: [
            {
              job: 'DEV/data-platform/extract-a',
              expected: at(1),
              state: 'missed',
              reason: {
                kind: 'controller-unreachable',
                jenkins: 'dev',
                since: at(0, 30),
              },
            },
          ],
          outages: [{ jenkins: 'dev', since: at(0, 30), until: at(3) }],
        }}
      />,
    );
    const hollow = screen.getAllByTestId('timeline-missed-run');
    expect(hollow).toHaveLength(1);
    expect(hollow[0]).toHaveAttribute(
      'title',
      expect.stringMatching(/^Did not run: extract-a 01:00/),
    );
    expect(screen.getAllByTestId('timeline-run')).toHaveLength(6);
    // Across every label group: the controller ran none of them.
    expect(
      screen.getAllByRole('img', {
        name: 'Outage 00:30–03:00: controller dev unreachable',
      }),
    ).toHaveLength(timeline.labels.length);
  });

  it('says when no job has a timer', async () => {
    await renderInTestApp(
      <ScheduleTimelineChart timeline={{ ...timeline, labels: [] }} />,
    );
    expect(screen.getByText('No job of DEV has a timer.')).toBeInTheDocument();
  });
});

describe('ScheduleTimeline', () => {
  const render = () =>
    renderInTestApp(
      <TestApiProvider
        apis={[
          [
            batchJobsApiRef,
            new BatchJobsClient({
              discoveryApi: mockApis.discovery({
                baseUrl: 'http://example.com',
              }),
              fetchApi: new MockFetchApi(),
            }),
          ],
        ]}
      >
        <ScheduleTimeline vpc="DEV" now={FROM + 30_000} timeZone="UTC" />
      </TestApiProvider>,
    );

  it('asks the backend for the next 24 h and zooms out to a week', async () => {
    const asked: Array<{ from: string | null; to: string | null }> = [];
    server.use(
      rest.get(
        'http://example.com/api/batch-jobs/vpcs/DEV/timeline',
        (req, res, ctx) => {
          const from = req.url.searchParams.get('from');
          const to = req.url.searchParams.get('to');
          asked.push({ from, to });
          return res(ctx.json({ ...timeline, from: from!, to: to! }));
        },
      ),
    );
    await render();
    expect(
      await screen.findByRole('img', { name: /6 runs, 4 executors/ }),
    ).toBeInTheDocument();
    expect(asked).toEqual([{ from: iso(FROM), to: iso(FROM + 24 * HOUR) }]);
    expect(screen.getByRole('button', { name: '24 h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    await waitFor(() => expect(asked).toHaveLength(2));
    expect(asked[1]).toEqual({
      from: iso(FROM),
      to: iso(FROM + 7 * 24 * HOUR),
    });
    expect(screen.getByRole('button', { name: '7 days' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    // A week's axis labels days.
    expect(await screen.findByText('Tue 3, 00:00')).toBeInTheDocument();
  });

  it("shows the backend's message when it refuses", async () => {
    server.use(
      rest.get(
        'http://example.com/api/batch-jobs/vpcs/DEV/timeline',
        (_req, res, ctx) =>
          res(
            ctx.status(400),
            ctx.json({
              error: { name: 'InputError', message: "Unknown VPC 'DEV'" },
              request: { method: 'GET', url: '/vpcs/DEV/timeline' },
              response: { statusCode: 400 },
            }),
          ),
      ),
    );
    await render();
    expect(
      await screen.findByText("Error: Unknown VPC 'DEV'"),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});

describe('helpers', () => {
  it('ticks every 3 h for a day and every day for a week', () => {
    expect(ticksFor(FROM, FROM + 24 * HOUR)).toHaveLength(9);
    expect(ticksFor(FROM + 1, FROM + 7 * 24 * HOUR)).toHaveLength(7);
  });

  it('words an overlap', () => {
    expect(overlapText(6, 4)).toBe('6 runs, 4 executors');
    expect(overlapText(2, 1)).toBe('2 runs, 1 executor');
  });
});
