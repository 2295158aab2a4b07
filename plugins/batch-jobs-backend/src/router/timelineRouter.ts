import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { ScheduleTimeline } from '../services/schedules/ScheduleTimeline';
import { parse, vpcParam } from './validation';

const HOUR = 3_600_000;
/** Default range of the timeline: the next 24 hours. */
export const DEFAULT_TIMELINE_RANGE_MS = 24 * HOUR;
/** Longest range served at once: a week. */
export const MAX_TIMELINE_RANGE_MS = 7 * 24 * HOUR;

const isoTime = z
  .string({ invalid_type_error: 'must be given once' })
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
  .transform(text => Date.parse(text));

const timelineQuery = z.object({
  from: isoTime.optional(),
  to: isoTime.optional(),
});

/** `GET /vpcs/:vpc/timeline?from=&to=` */
export function createTimelineRouter(options: {
  httpAuth: HttpAuthService;
  timeline: ScheduleTimeline;
  now?: () => number;
}) {
  const { httpAuth, timeline } = options;
  const router = Router();

  router.get('/vpcs/:vpc/timeline', async (req, res) => {
    const { vpc } = parse(z.object({ vpc: vpcParam }), req.params, 'VPC');
    const query = parse(timelineQuery, req.query, 'timeline query');
    await httpAuth.credentials(req);
    const from =
      query.from ??
      (query.to !== undefined
        ? query.to - DEFAULT_TIMELINE_RANGE_MS
        : options.now?.() ?? Date.now());
    const to = query.to ?? from + DEFAULT_TIMELINE_RANGE_MS;
    if (to <= from) {
      throw new InputError(
        `Invalid timeline query: 'to' (${new Date(
          to,
        ).toISOString()}) must be after 'from' (${new Date(
          from,
        ).toISOString()})`,
      );
    }
    if (to - from > MAX_TIMELINE_RANGE_MS) {
      throw new InputError(
        `Invalid timeline query: the range from ${new Date(
          from,
        ).toISOString()} to ${new Date(
          to,
        ).toISOString()} is longer than the maximum of 7 days`,
      );
    }
    res.json(await timeline.timeline({ vpc, from, to }));
  });

  return router;
}
