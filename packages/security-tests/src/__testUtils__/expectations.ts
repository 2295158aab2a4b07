import request from 'supertest';

/*
 * What a refusal looks like from outside: 403 or 404, a message saying
 * why, and none of the data asked for.
 */

/** Every string anywhere in a JSON body, to look for leaked data. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object')
    return Object.values(value).flatMap(strings);
  return [];
}

/**
 * A refusal (403 or 404; `statuses` widens it, e.g. 400 for an action naming
 * an entity that does not claim the job) with a message and no data: only
 * the error document, and none of `mustNotContain` (log lines, names).
 */
export function expectRefused(
  res: request.Response,
  what: string,
  mustNotContain: string[] = [],
  statuses: number[] = [403, 404],
) {
  const summary = `${what} answered ${res.status}: ${res.text.slice(0, 300)}`;
  if (!statuses.includes(res.status)) {
    throw new Error(
      `${summary}\nexpected a refusal (${statuses.join(' or ')})`,
    );
  }
  const message = res.body?.error?.message;
  if (typeof message !== 'string' || message.length === 0) {
    throw new Error(`${summary}\nexpected an error message`);
  }
  // The error document only: no list, log text or payload beside it.
  const extra = Object.keys(res.body).filter(
    k => !['error', 'request', 'response'].includes(k),
  );
  if (extra.length > 0) {
    throw new Error(`${summary}\nanswers more than an error: ${extra}`);
  }
  for (const secret of mustNotContain) {
    if (res.text.includes(secret)) {
      throw new Error(`${summary}\nleaks '${secret}'`);
    }
  }
}

/** Refusals of an action: 400 too when the named entity does not claim the job. */
export const ACTION_REFUSALS = [400, 403, 404];
