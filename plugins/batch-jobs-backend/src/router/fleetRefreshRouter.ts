import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { z } from 'zod';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { FleetRefresher } from '../services/fleet/FleetRefresher';
import { parse } from './validation';

const startBody = z
  .object({
    batchSize: z.number().int().min(1).max(50).optional(),
    minHealthyExecutors: z.number().int().min(0).max(10_000).optional(),
    drainTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
    reason: z.string().max(200).optional(),
  })
  .strict();

const vpcParam = z.string().min(1).max(100);
const refreshParam = z.string().uuid();
const controlParam = z.enum(['pause', 'resume', 'abort']);

/**
 * Rolling refreshes of a VPC's agents: start (202 with the refresh, or
 * the approval request), list, follow, pause, resume, abort.
 */
export function createFleetRefreshRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  directory: JobDirectory;
  refresher: FleetRefresher;
  readAccess: JobReadAccess;
}) {
  const { httpAuth, userInfo, directory, refresher, readAccess } = options;
  const router = Router();
  router.use(express.json());

  const actorOf = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  router.post('/vpcs/:vpc/fleet/refresh', async (req, res) => {
    const vpc = parse(vpcParam, req.params.vpc, 'VPC');
    const body = parse(startBody, req.body ?? {}, 'refresh request');
    res.status(202).json(await refresher.start(vpc, body, await actorOf(req)));
  });

  router.get('/vpcs/:vpc/fleet/refreshes', async (req, res) => {
    const vpc = directory.getVpc(parse(vpcParam, req.params.vpc, 'VPC'));
    const credentials = await httpAuth.credentials(req);
    await readAccess.checkVpc(vpc, credentials, 'agent refreshes');
    res.json({ items: await refresher.list(vpc.name) });
  });

  router.get('/fleet/refreshes/:id', async (req, res) => {
    const id = parse(refreshParam, req.params.id, 'refresh id');
    const credentials = await httpAuth.credentials(req);
    const refresh = await refresher.get(id);
    await readAccess.checkVpc(
      directory.getVpc(refresh.vpc),
      credentials,
      'agent refreshes',
    );
    res.json(refresh);
  });

  router.post('/fleet/refreshes/:id/:action', async (req, res) => {
    const id = parse(refreshParam, req.params.id, 'refresh id');
    const action = parse(controlParam, req.params.action, 'refresh action');
    res.json(await refresher.control(id, action, await actorOf(req)));
  });

  return router;
}
