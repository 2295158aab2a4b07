import express from 'express';
import Router from 'express-promise-router';
import {
  BackstageCredentials,
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  ApprovalPendingResponse,
  BackupsResponse,
  RoutineRunsPage,
  RoutinesResponse,
  RunRoutineResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { BackupStore } from '../database/DatabaseRoutineStore';
import { RoutineRunner } from '../routines/RoutineRunner';
import { parse } from './validation';

const routineParam = z.string().min(1).max(64);
const runParam = z.string().uuid();
const runBody = z.object({ dryRun: z.boolean() }).strict();
const limitQuery = z.object({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .transform(Number)
    .refine(n => n >= 1 && n <= 200, 'must be between 1 and 200')
    .optional(),
});

/** Routines: list, run now (202 + run id), history, one run, backups. */
export function createRoutinesRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  runner: RoutineRunner;
  backups: BackupStore;
  /** Throws unless the caller may read every VPC (routines act on all). */
  readAllVpcs?: (credentials: BackstageCredentials) => Promise<void>;
}) {
  const { httpAuth, userInfo, runner, backups } = options;
  /** Routine runs name instances, nodes and backups of every VPC. */
  const reader = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req);
    await options.readAllVpcs?.(credentials);
  };
  const router = Router();
  // Mounted on its own next to the main router, so it parses its own bodies.
  router.use(express.json());

  router.get('/routines', async (req, res) => {
    await reader(req);
    const response: RoutinesResponse = { items: await runner.list() };
    res.json(response);
  });

  // Before '/routines/:id/...': 'runs' is not a routine id.
  router.get('/routines/runs/:runId', async (req, res) => {
    const runId = parse(runParam, req.params.runId, 'run id');
    await reader(req);
    res.json(await runner.getRun(runId));
  });

  router.post('/routines/:id/run', async (req, res) => {
    const id = parse(routineParam, req.params.id, 'routine id');
    const body = parse(runBody, req.body ?? {}, 'run request');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    // A real run in a four-eyes VPC answers the approval request instead.
    const response: RunRoutineResponse | ApprovalPendingResponse =
      await runner.runNow(id, body, {
        credentials,
        actor: userEntityRef,
      });
    res.status(202).json(response);
  });

  router.get('/routines/:id/runs', async (req, res) => {
    const id = parse(routineParam, req.params.id, 'routine id');
    const { limit } = parse(limitQuery, req.query, 'runs query');
    await reader(req);
    const response: RoutineRunsPage = {
      items: await runner.listRuns(id, limit ?? 20),
    };
    res.json(response);
  });

  router.get('/backups', async (req, res) => {
    const { limit } = parse(limitQuery, req.query, 'backups query');
    await reader(req);
    const response: BackupsResponse = {
      items: await backups.list({ limit: limit ?? 50 }),
    };
    res.json(response);
  });

  return router;
}
