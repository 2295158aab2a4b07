import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  FleetResponse,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { NotAllowedError } from '@backstage/errors';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { AgentLauncher } from '../services/fleet/AgentLauncher';
import { AgentTerminator } from '../services/fleet/AgentTerminator';
import { FleetView } from '../services/fleet/FleetView';
import { parse } from './validation';

const fleetQuery = z.object({
  vpc: z.union([z.string(), z.array(z.string())]).optional(),
});

const launchBody = z.object({
  vpc: z.string().min(1).max(100),
  type: z.enum(['batch', 'worker']),
  reason: z.string().max(200).optional(),
});

const terminateQuery = z.object({
  vpc: z.string().min(1).max(100),
  force: z.enum(['true', 'false']).optional(),
  reason: z.string().max(200).optional(),
});

const nodeParam = z.string().min(1).max(200);
const operationParam = z.string().uuid();

/** The agent fleet: list, launch (202 + operation), follow, terminate. */
export function createFleetRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  directory: JobDirectory;
  fleet: FleetView;
  launcher: AgentLauncher;
  terminator: AgentTerminator;
  readAccess: JobReadAccess;
}) {
  const { httpAuth, userInfo, directory, fleet, launcher, terminator } =
    options;
  const { readAccess } = options;
  const router = Router();
  // Mounted on its own next to the main router, so it parses its own bodies.
  router.use(express.json());

  router.get('/fleet', async (req, res) => {
    const query = parse(fleetQuery, req.query, 'fleet query');
    const credentials = await httpAuth.credentials(req);
    const names = query.vpc
      ? ([] as string[])
          .concat(query.vpc)
          .flatMap(v => v.split(','))
          .map(v => v.trim())
          .filter(Boolean)
      : undefined;
    const asked = names
      ? names.map(name => directory.getVpc(name))
      : directory.listVpcs();
    const readable = (
      await Promise.all(
        asked.map(async vpc =>
          (await readAccess.mayReadVpc(vpc, credentials)) ? vpc : undefined,
        ),
      )
    ).filter(Boolean);
    // A VPC asked by name must be readable; without names, the readable ones.
    if (readable.length === 0 || (names && readable.length < asked.length)) {
      const denied = asked.filter(v => !readable.includes(v)).map(v => v.name);
      throw new NotAllowedError(
        `You may not see the fleet of VPC ${denied.join(', ')} (batch-jobs.vpc.read)`,
      );
    }
    const response: FleetResponse = {
      vpcs: await fleet.list(readable.map(v => v!.name)),
      generatedAt: new Date().toISOString(),
    };
    res.json(response);
  });

  router.post('/fleet/agents', async (req, res) => {
    const body = parse(launchBody, req.body, 'launch request');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    const operation = await launcher.launch(body, {
      credentials,
      actor: userEntityRef,
      idempotencyKey: req.header('Idempotency-Key'),
    });
    res.status(202).json(operation);
  });

  router.get('/fleet/operations/:id', async (req, res) => {
    const id = parse(operationParam, req.params.id, 'operation id');
    const credentials = await httpAuth.credentials(req);
    const operation = await launcher.get(id);
    await readAccess.checkVpc(
      directory.getVpc(operation.vpc),
      credentials,
      'launch operations',
    );
    res.json(operation);
  });

  router.delete('/fleet/agents/:node', async (req, res) => {
    const node = parse(nodeParam, req.params.node, 'node');
    const query = parse(terminateQuery, req.query, 'terminate query');
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    const response = await terminator.terminate(
      {
        vpc: query.vpc,
        node,
        force: query.force === 'true',
        reason: query.reason,
      },
      { credentials, actor: userEntityRef },
    );
    // Held for a second person: 202 with the approval request.
    res.status(isApprovalPending(response) ? 202 : 200).json(response);
  });

  return router;
}
