import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
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
  /** The timeline of this entity's jobs only (needs no VPC-wide read). */
  entityRef: z
    .string({ invalid_type_error: 'must be given once' })
    .min(1)
    .max(500)
    .optional(),
});

/** `GET /vpcs/:vpc/timeline?from=&to=` */
export function createTimelineRouter(options: {
  httpAuth: HttpAuthService;
  timeline: ScheduleTimeline;
  directory: JobDirectory;
  readAccess: JobReadAccess;
  now?: () => number;
}) {
  const { httpAuth, timeline, directory, readAccess } = options;
  const router = Router();

  router.get('/vpcs/:vpc/timeline', async (req, res) => {
    const { vpc } = parse(z.object({ vpc: vpcParam }), req.params, 'VPC');
    const query = parse(timelineQuery, req.query, 'timeline query');
    const credentials = await httpAuth.credentials(req);
    const vpcConfig = directory.getVpc(vpc);
    let includeJob: ((fullName: string) => boolean) | undefined;
    if (query.entityRef) {
      includeJob = await readAccess.entityJobs(
        vpcConfig,
        query.entityRef,
        credentials,
      );
    } else {
      await readAccess.checkVpc(vpcConfig, credentials, 'the whole timeline');
    }
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
    res.json(await timeline.timeline({ vpc, from, to, includeJob }));
  });

  return router;
}
