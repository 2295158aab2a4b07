import { CronSpecError, nextRunsOf } from '.';

const after = new Date('2026-11-02T09:00:00Z');

describe('nextRunsOf', () => {
  it('returns runs strictly after the given time, at minute precision', () => {
    const runs = nextRunsOf('0,30 * * * *', {
      jobFullName: 'any',
      after,
      count: 3,
    }).map(d => d.toISOString());
    expect(runs).toEqual([
      '2026-11-02T09:30:00.000Z',
      '2026-11-02T10:00:00.000Z',
      '2026-11-02T10:30:00.000Z',
    ]);
  });

  it('throws CronSpecError for an invalid spec', () => {
    expect(() =>
      nextRunsOf('H 25 * * *', { jobFullName: 'any', after, count: 1 }),
    ).toThrow(CronSpecError);
  });
});
