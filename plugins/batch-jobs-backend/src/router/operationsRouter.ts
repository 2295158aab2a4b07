import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ApprovalsPage } from '@internal/plugin-batch-jobs-common';
import { z } from 'zod';
import { ApprovalGate } from '../services/approvals/ApprovalGate';
import { WorkerRedeployer } from '../services/workers/WorkerRedeployer';
import { parse, vpcParam } from './validation';

const redeployBody = z
  .object({
    jobs: z.array(z.string().min(1).max(1000)).max(100).optional(),
  })
  .strict();

const idParam = z.string().uuid();

const approvalStates = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'failed',
] as const;

const approvalsQuery = z.object({
  // The issue says `status`, the UI brief `state`: both are accepted.
  status: z.enum(approvalStates).optional(),
  state: z.enum(approvalStates).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a positive integer')
    .transform(Number)
    .refine(n => n > 0 && n <= 500, 'must be 1-500')
    .optional(),
});

const rejectBody = z.object({ reason: z.string().max(1000).optional() });

/** Worker redeploys (202 + operation) and the four-eyes gate's requests. */
export function createOperationsRouter(options: {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  redeployer: WorkerRedeployer;
  gate: ApprovalGate;
}) {
  const { httpAuth, userInfo, redeployer, gate } = options;
  const router = Router();
  // Mounted on its own next to the main router, so it parses its own bodies.
  router.use(express.json());

  const user = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { userEntityRef } = await userInfo.getUserInfo(credentials);
    return { credentials, actor: userEntityRef };
  };

  router.get('/vpcs/:vpc/workers', async (req, res) => {
    const vpc = parse(vpcParam, req.params.vpc, 'VPC');
    await httpAuth.credentials(req);
    res.json(await redeployer.listWorkers(vpc));
  });

  router.post('/vpcs/:vpc/workers/redeploy', async (req, res) => {
    const vpc = parse(vpcParam, req.params.vpc, 'VPC');
    const body = parse(redeployBody, req.body ?? {}, 'redeploy request');
    const context = await user(req);
    res.status(202).json(await redeployer.redeploy(vpc, body, context));
  });

  router.get('/operations/:id', async (req, res) => {
    const id = parse(idParam, req.params.id, 'operation id');
    await httpAuth.credentials(req);
    res.json(await redeployer.get(id));
  });

  router.get('/approvals', async (req, res) => {
    const query = parse(approvalsQuery, req.query, 'approvals query');
    await httpAuth.credentials(req);
    const page: ApprovalsPage = {
      items: await gate.list({
        status: query.status ?? query.state,
        limit: query.limit,
      }),
    };
    res.json(page);
  });

  router.get('/approvals/:id', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    await httpAuth.credentials(req);
    res.json(await gate.get(id));
  });

  router.post('/approvals/:id/approve', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    res.json(await gate.approve(id, await user(req)));
  });

  router.post('/approvals/:id/reject', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    const body = parse(rejectBody, req.body ?? {}, 'reject request');
    res.json(
      await gate.reject(id, body.reason?.trim() || undefined, await user(req)),
    );
  });

  return router;
}
