import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuditEvent, AuditPage } from '@batch-jobs/plugin-batch-jobs-common';
import { z } from 'zod';
import { AuditStore } from '../database/types';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { jobParam, parse, positiveInt, vpcParam } from './validation';

const auditQuery = z.object({
  entityRef: z.string().min(1).max(500).optional(),
  vpc: vpcParam.optional(),
  job: jobParam.optional(),
  limit: positiveInt.refine(n => n <= 500, 'must be at most 500').optional(),
});

/** `GET /audit?entityRef=&vpc=&job=&limit=`, newest first. */
export function createAuditRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  audit: AuditStore;
  directory: JobDirectory;
  readAccess: JobReadAccess;
}) {
  const { httpAuth, catalog, audit, directory, readAccess } = options;
  const router = Router();

  router.get('/audit', async (req, res) => {
    const query = parse(auditQuery, req.query, 'audit query');
    if (!query.entityRef && !query.vpc) {
      throw new InputError('Invalid audit query: give entityRef or vpc');
    }
    const credentials = await httpAuth.credentials(req);
    let entityRef: string | undefined;
    if (query.entityRef) {
      let ref;
      try {
        ref = parseEntityRef(query.entityRef);
      } catch (error) {
        throw new InputError(`Invalid entityRef: ${(error as Error).message}`);
      }
      // Only the audit of entities the caller can see.
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (!entity)
        throw new NotFoundError(`Entity '${query.entityRef}' not found`);
      entityRef = stringifyEntityRef(entity);
    }
    if (query.vpc) {
      const vpc = directory.getVpc(query.vpc);
      if (query.job) directory.resolveJob(query.vpc, query.job);
      // Through a visible entity, its own rows; otherwise the job's reader
      // or a VPC-wide reader.
      if (!entityRef) {
        if (query.job) await readAccess.checkJob(vpc, query.job, credentials);
        else await readAccess.checkVpc(vpc, credentials, 'the audit trail');
      }
    }
    const records = await audit.list({
      entityRef,
      vpc: query.vpc,
      job: query.job,
      limit: query.limit ?? 50,
    });
    const items: AuditEvent[] = records.map(
      ({ queueItemId: _q, buildNumber: _b, ...event }) => event,
    );
    const page: AuditPage = { items };
    res.json(page);
  });

  return router;
}
