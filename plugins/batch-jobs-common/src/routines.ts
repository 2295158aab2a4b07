/*
 * Routines of the REST API: the offline-node sweep, the orphan reaper and the
 * Jenkins backup, their runs and the backups they recorded. Shared by backend
 * and frontend.
 */

/** @public */
export const ROUTINE_IDS = [
  'offline-node-sweep',
  'orphan-reaper',
  'jenkins-backup',
] as const;

/** @public */
export type RoutineId = (typeof ROUTINE_IDS)[number];

/** Who started a run: the scheduler, or a person with "run now". @public */
export type RoutineTrigger = 'schedule' | 'user';

/**
 * `running` while in progress; `succeeded`; `failed` (an error, or a backup
 * that is missing or empty); `abandoned` when the replica running it died
 * and the next run found it unfinished.
 * @public
 */
export type RoutineOutcome = 'running' | 'succeeded' | 'failed' | 'abandoned';

/**
 * One thing a run looked at and what it did (or would do, in a dry run).
 * `action` e.g. `delete-node`, `terminate-instance`, `spare`, `trigger-build`,
 * `verify`, `delete-backup`, `keep-backup`.
 * @public
 */
export interface RoutineRunItem {
  action: string;
  /** Node name, instance id, S3 key… */
  target: string;
  vpc: string | null;
  /** `done`, `planned` (dry run), `skipped` (spared, with why), `failed`. */
  status: 'done' | 'planned' | 'skipped' | 'failed';
  /** Why, in plain words. */
  message: string;
  /** The audit event of a deletion or termination. */
  auditId?: string;
  at: string;
}

/** GET /routines/runs/:runId; items in `GET /routines/:id/runs`. @public */
export interface RoutineRun {
  id: string;
  routine: RoutineId;
  trigger: RoutineTrigger;
  /** Entity ref of the person (user trigger) or `routine:<id>` (schedule). */
  actor: string;
  dryRun: boolean;
  outcome: RoutineOutcome;
  startedAt: string;
  finishedAt: string | null;
  /** One line: what the run did, or why it failed. */
  summary: string | null;
  items: RoutineRunItem[];
}

/** `GET /routines/:id/runs?limit=` → `{ items }` (newest first, without their items). @public */
export interface RoutineRunsPage {
  items: RoutineRun[];
}

/** One routine as `GET /routines` shows it. @public */
export interface RoutineSummary {
  id: RoutineId;
  title: string;
  description: string;
  enabled: boolean;
  /** Human schedule, e.g. `every 15 minutes`, or the cron expression. */
  schedule: string;
  /** Scheduler's next run (ISO), null when disabled or unknown. */
  nextRunAt: string | null;
  /** Scheduled runs are dry runs (config `dryRun: true`). */
  dryRunByDefault: boolean;
  lastRun: RoutineRun | null;
  /** Routine-specific settings worth showing (grace period, bucket, retention). */
  settings: Record<string, string | number | boolean | null>;
}

/** GET /routines @public */
export interface RoutinesResponse {
  items: RoutineSummary[];
}

/** POST /routines/:id/run @public */
export interface RunRoutineRequest {
  dryRun: boolean;
}

/** POST /routines/:id/run → 202 @public */
export interface RunRoutineResponse {
  runId: string;
}

/** One backup in S3, as the backup routine recorded it. @public */
export interface BackupRecord {
  key: string;
  bucket: string;
  sizeBytes: number;
  /** S3's LastModified. */
  createdAt: string;
  verified: boolean;
  /** The run that recorded it. */
  runId: string;
  /** Jenkins build of the backup job. */
  build: { number: number; url: string } | null;
  /** Set when retention removed it. */
  deletedAt: string | null;
  /** Key prefix configured when it was recorded: retention deletes only under the current one. */
  prefix?: string;
  /** Why verification failed (absent when verified). */
  failure?: string;
}

/** GET /backups?limit= @public */
export interface BackupsResponse {
  items: BackupRecord[];
}
