import type { BatchJobsTemplateSource } from '@batch-jobs/plugin-batch-jobs-node';
import {
  JobTemplates,
  standardTemplateSource,
} from '../services/templates/JobTemplates';
import { LocationTemplateSource } from '../services/templates/LocationTemplateSource';
import { PluginDeps } from './foundation';

/**
 * Job templates: the standard pipeline, the files of
 * batchJobs.templates.locations, then modules' sources; a module's source
 * with a built-in's id takes its place.
 */
export function createJobTemplates(
  deps: PluginDeps,
  moduleSources: Map<string, BatchJobsTemplateSource>,
): JobTemplates {
  const { config, urlReader, logger } = deps;
  const builtIn: BatchJobsTemplateSource[] = [
    standardTemplateSource,
    ...LocationTemplateSource.fromConfig(config, { urlReader, logger }),
  ];
  return new JobTemplates({
    sources: [
      ...builtIn.map(s => moduleSources.get(s.id) ?? s),
      ...[...moduleSources.values()].filter(
        s => !builtIn.some(b => b.id === s.id),
      ),
    ],
    logger,
  });
}
