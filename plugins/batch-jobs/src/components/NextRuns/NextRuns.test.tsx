import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { NextRuns, formatRunTime } from './NextRuns';

const NOW = Date.UTC(2026, 10, 2, 9, 0);

describe('NextRuns', () => {
  const schedule = {
    spec: 'H 2 * * *',
    timezone: 'Europe/Paris',
    description: 'daily at 02:59',
    nextRuns: [
      '2026-11-03T01:59:00.000Z',
      '2026-11-04T01:59:00.000Z',
      '2026-11-05T01:59:00.000Z',
    ],
  };

  it("lists the next runs in the job's time zone with the description", async () => {
    await renderInTestApp(<NextRuns schedule={schedule} now={NOW} />);
    expect(screen.getByText('daily at 02:59')).toBeInTheDocument();
    expect(screen.getByText('Times in Europe/Paris')).toBeInTheDocument();
    const items = within(
      screen.getByRole('list', { name: 'Next runs' }),
    ).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    // 01:59 UTC is 02:59 in Paris in November.
    expect(items[0]).toHaveTextContent(/Tue 3 Nov, 02:59 CET/);
    expect(items[0]).toHaveTextContent('(in 16 h)');
    expect(items[0].querySelector('time')).toHaveAttribute(
      'dateTime',
      '2026-11-03T01:59:00.000Z',
    );
  });

  it('limits the list', async () => {
    await renderInTestApp(<NextRuns schedule={schedule} limit={1} now={NOW} />);
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
  });

  it('summarizes for a table cell: description and the next run', async () => {
    await renderInTestApp(
      <NextRuns schedule={schedule} variant="summary" now={NOW} />,
    );
    expect(screen.getByText('daily at 02:59')).toBeInTheDocument();
    expect(screen.getByText('in 16 h')).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  it('says why an invalid spec shows no runs', async () => {
    await renderInTestApp(
      <NextRuns
        schedule={{
          spec: 'H 25 * * *',
          error:
            'Invalid schedule at line 1, column 3 ("H 25 * * *"): 25 is an invalid value. Must be within 0 and 23',
        }}
      />,
    );
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Schedule H 25 * * * is invalid');
    expect(alert).toHaveTextContent(/Must be within 0 and 23/);
  });

  it('says when a job has no timer', async () => {
    await renderInTestApp(<NextRuns schedule={{ spec: null }} />);
    expect(screen.getByText('No timer')).toBeInTheDocument();
  });

  it('says the schedule is unknown, and why, when it could not be read', async () => {
    const error =
      'Could not read its schedule (config.xml) from Jenkins: 403 Forbidden';
    await renderInTestApp(<NextRuns schedule={{ spec: null, error }} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Schedule unknown');
    expect(screen.getByText(error)).toBeInTheDocument();
    expect(screen.queryByText('No timer')).not.toBeInTheDocument();
  });
});

describe('formatRunTime', () => {
  it('formats in the given zone, and in UTC for an unknown one', () => {
    expect(formatRunTime('2026-11-03T01:59:00.000Z', 'UTC')).toBe(
      'Tue 3 Nov, 01:59 UTC',
    );
    expect(formatRunTime('2026-11-03T01:59:00.000Z', 'Mars/Olympus')).toBe(
      '2026-11-03 01:59 UTC',
    );
  });
});
