import { DatabaseJobConfigHistoryStore } from '../database/DatabaseJobConfigHistoryStore';
import { createJobConfigRouter } from '../router/jobConfigRouter';
import { JobConfigHistory } from '../services/jobs/JobConfigHistory';
import { JobWriter } from '../services/jobs/JobWriter';
import { JobTemplates } from '../services/templates/JobTemplates';
import { actionDeps, Foundation } from './foundation';

/**
 * Jobs from the job templates (the scaffolder actions call these routes), compared and promoted across VPCs; every config.xml a
 * portal write replaces is kept first (a way back).
 */
export function setupJobConfig(base: Foundation, templates: JobTemplates) {
  const deps = actionDeps(base);
  const { gate } = base;
  const store = DatabaseJobConfigHistoryStore.create({ db: base.db });
  const writer = new JobWriter({
    ...deps,
    cache: base.readCache,
    configs: base.configs,
    gate,
    history: store,
    templates,
    readAccess: base.readAccess,
  });
  const history = new JobConfigHistory({ ...deps, store, writer, gate });
  const { httpAuth, userInfo } = base.deps;
  base.deps.httpRouter.use(
    createJobConfigRouter({
      httpAuth,
      userInfo,
      writer,
      history,
      directory: base.directory,
      readAccess: base.readAccess,
      templates,
    }),
  );
  return { writer, history };
}
