import {
  errorMessage,
  formatDuration,
  formatRelative,
  shortEntityRefName,
} from './format';

describe('format', () => {
  const now = Date.parse('2026-11-02T09:00:00Z');

  it('formats relative times', () => {
    expect(formatRelative('2026-11-02T08:59:55Z', now)).toBe('just now');
    expect(formatRelative('2026-11-02T08:59:00Z', now)).toBe('1 min ago');
    expect(formatRelative('2026-11-02T06:30:00Z', now)).toBe('2 h ago');
    expect(formatRelative('2026-10-30T09:00:00Z', now)).toBe('3 d ago');
    expect(formatRelative('2026-11-02T09:05:00Z', now)).toBe('in 5 min');
    expect(formatRelative('garbage', now)).toBe('—');
  });

  it('formats durations', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(200_000)).toBe('3 min 20 s');
    expect(formatDuration(3_840_000)).toBe('1 h 4 min');
    expect(formatDuration(-1)).toBe('—');
  });

  it('names entity refs and errors', () => {
    expect(shortEntityRefName('user:default/jane.doe')).toBe('jane.doe');
    expect(shortEntityRefName('guest')).toBe('guest');
    expect(
      errorMessage({ body: { error: { message: 'Jenkins said no' } } }),
    ).toBe('Jenkins said no');
    expect(errorMessage(new Error('boom'))).toBe('boom');
  });
});
