import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { BatchJobSpec } from '@batch-jobs/plugin-batch-jobs-common';

/** The VPC a job is rendered for: its name and the agent label of the spec's agent type. @public */
export interface BatchJobsTemplateVpc {
  /** The VPC's name, e.g. `DEV`. */
  name: string;
  /** The VPC's agent label for the spec's agent type, e.g. `DEV-batch-agent`. */
  agentLabel: string;
}

/**
 * A job template: what `POST /jobs/create` renders a BatchJobSpec with, for
 * each VPC named.
 * @public
 */
export interface BatchJobsJobTemplate {
  /**
   * Names the template in requests (`template`) and in the mark of the jobs
   * it renders: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
   */
  id: string;
  /** Shown to users; also the default description's `(…)`. */
  title: string;
  /** What it is for, in a sentence (listed by `GET /jobs/templates`). */
  description?: string;
  /**
   * Bump it with every change of what the template renders: jobs rendered
   * with a lower version are listed as outdated, and updating them renders
   * them again with this one.
   */
  version: number;
  /**
   * The pipeline script of the job in one VPC. The backend writes it into
   * the job's config.xml with the spec's description, parameters and timer
   * as job properties, and puts the template's mark
   * (`batch-jobs-template: <id>@<version>`) in a first comment unless the
   * script carries it. The spec is valid (names, schedule, parameters) when
   * this is called. Names that go into Groovy should be quoted with
   * `groovyString` of the common package.
   */
  renderPipelineScript(spec: BatchJobSpec, vpc: BatchJobsTemplateVpc): string;
  /**
   * The whole config.xml instead, for a template that needs more than a
   * pipeline script in the standard job frame; its `<definition><script>`
   * must carry the template's mark.
   */
  renderConfigXml?(spec: BatchJobSpec, vpc: BatchJobsTemplateVpc): string;
}

/**
 * Where job templates come from: the compiled-in standard pipeline, the
 * files of `batchJobs.templates.locations` (read with the URL reader), or
 * a backend module's own.
 * @public
 */
export interface BatchJobsTemplateSource {
  /** Names the source in logs and errors; a source added with the id of another replaces it. */
  id: string;
  /**
   * The templates the source offers now, asked on every use (cache inside
   * when reading them is costly). Throwing makes its templates unavailable
   * (503 naming the source) while those of the other sources still serve.
   */
  listTemplates(): Promise<BatchJobsJobTemplate[]>;
}

/** What `batchJobsTemplatesExtensionPoint` offers a backend module. @public */
export interface BatchJobsTemplatesExtensionPoint {
  /**
   * Adds a source of job templates. A source with the id of a built-in one
   * (`standard`: the standard batch pipeline; `location:<url>`: the file at
   * `<url>` of `batchJobs.templates.locations`) replaces it; two modules
   * adding the same id is an error at start-up. Of two templates with one
   * id, the first source's is used (built-ins first, then in the order
   * added) and the clash is listed by `GET /jobs/templates`.
   */
  addTemplateSource(source: BatchJobsTemplateSource): void;
}

/**
 * Adds job template sources to the Batch Jobs backend from a backend module:
 *
 * ```ts
 * createBackendModule({
 *   pluginId: 'batch-jobs',
 *   moduleId: 'etl-templates',
 *   register(env) {
 *     env.registerInit({
 *       deps: { templates: batchJobsTemplatesExtensionPoint },
 *       async init({ templates }) {
 *         templates.addTemplateSource({
 *           id: 'etl',
 *           listTemplates: async () => [{ id: 'etl', title: 'ETL', version: 1, renderPipelineScript: … }],
 *         });
 *       },
 *     });
 *   },
 * });
 * ```
 * @public
 */
export const batchJobsTemplatesExtensionPoint =
  createExtensionPoint<BatchJobsTemplatesExtensionPoint>({
    id: 'batch-jobs.templates',
  });
