import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ApprovalsPage } from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { NotFoundError } from '@backstage/errors';
import { JobReadAccess } from '../services/actions/readAccess';
import { ApprovalGate } from '../services/approvals/ApprovalGate';
import { JobDirectory } from '../services/jenkins/JobDirectory';
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
  'executing',
  'completed',
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
  directory: JobDirectory;
  readAccess: JobReadAccess;
}) {
  const { httpAuth, userInfo, redeployer, gate } = options;
  const { directory, readAccess } = options;

  /**
   * Who sees an approval request (its parameters, its config diff): the
   * person who asked, and readers of its VPC (approvers among them).
   */
  const approvalReader = async (req: express.Request) => {
    const credentials = await httpAuth.credentials(req);
    const actor =
      credentials.principal && (credentials.principal as any).type === 'user'
        ? (await userInfo.getUserInfo(credentials)).userEntityRef
        : undefined;
    const vpcs = new Map<string, Promise<boolean>>();
    return (request: { vpc: string; requestedBy: string }) => {
      if (actor && request.requestedBy === actor) return Promise.resolve(true);
      if (!vpcs.has(request.vpc)) {
        const vpc = directory.listVpcs().find(v => v.name === request.vpc);
        vpcs.set(
          request.vpc,
          vpc ? readAccess.mayReadVpc(vpc, credentials) : Promise.resolve(false),
        );
      }
      return vpcs.get(request.vpc)!;
    };
  };
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
    const credentials = await httpAuth.credentials(req);
    await readAccess.checkVpc(directory.getVpc(vpc), credentials, 'the workers');
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
    const credentials = await httpAuth.credentials(req);
    const operation = await redeployer.get(id);
    await readAccess.checkVpc(
      directory.getVpc(operation.vpc),
      credentials,
      'redeploy operations',
    );
    res.json(operation);
  });

  router.get('/approvals', async (req, res) => {
    const query = parse(approvalsQuery, req.query, 'approvals query');
    const mayRead = await approvalReader(req);
    const items = await gate.list({
      status: query.status ?? query.state,
      limit: query.limit,
    });
    const readable = await Promise.all(items.map(item => mayRead(item)));
    const page: ApprovalsPage = {
      items: items.filter((_, i) => readable[i]),
    };
    res.json(page);
  });

  router.get('/approvals/:id', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    const mayRead = await approvalReader(req);
    const request = await gate.get(id);
    if (!(await mayRead(request))) {
      throw new NotFoundError(`No approval request ${id}`);
    }
    res.json(request);
  });

  router.post('/approvals/:id/approve', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    res.json(await gate.approve(id, await user(req)));
  });

  // Only the requester, with their own credentials: the action checks their
  // permission again, then the pinned hash, then acts.
  router.post('/approvals/:id/execute', async (req, res) => {
    const id = parse(idParam, req.params.id, 'approval id');
    res.json(await gate.execute(id, await user(req)));
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
