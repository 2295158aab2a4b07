import Router from 'express-promise-router';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { z } from 'zod';
import { PauseJob } from '../services/actions/PauseJob';
import { JobsView } from '../services/jobs/JobsView';
import { parse } from './validation';

const entityParams = z.object({
  namespace: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
});

/** `GET /entity/:namespace/:kind/:name/jobs` */
export function createJobsRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  jobs: JobsView;
  /** Adds who paused a job and why. */
  pauseJob?: PauseJob;
}) {
  const { httpAuth, catalog, jobs, pauseJob } = options;
  const router = Router();

  router.get('/entity/:namespace/:kind/:name/jobs', async (req, res) => {
    const params = parse(entityParams, req.params, 'entity');
    const credentials = await httpAuth.credentials(req);
    // Read with the caller's credentials: what they cannot see does not exist.
    const entity = await catalog.getEntityByRef(params, { credentials });
    if (!entity) {
      throw new NotFoundError(
        `Entity ${params.kind}:${params.namespace}/${params.name} not found`,
      );
    }
    // The entity check above is per request; the list itself is mapped and
    // serialised once per cache TTL for every viewer of the entity.
    const principal = credentials.principal as { userEntityRef?: string };
    const view = await jobs.entityJobsView(
      entity,
      response =>
        pauseJob ? pauseJob.decorate(response) : Promise.resolve(response),
      // Keeps the entity's listings watched and this user told of changes.
      { userRef: principal.userEntityRef },
    );
    res.set('ETag', view.etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(view.json);
  });

  return router;
}
