/*
 * Creating, comparing and promoting batch jobs: the API types, the input
 * checks shared by the portal's form, the scaffolder actions and the
 * backend, and the standard pipeline template rendered as config.xml.
 */
import type { AgentType, JobTemplateInfo } from './api';
import { parseJenkinsCron } from './cron';

/** Kinds of build parameters the template can define. @public */
export type BatchJobParameterType =
  | 'string'
  | 'text'
  | 'boolean'
  | 'choice'
  | 'password';

/** A build parameter of a new job. @public */
export interface BatchJobParameterSpec {
  name: string;
  type: BatchJobParameterType;
  description?: string;
  /** Default value (`true`/`false` for booleans; passwords take none). */
  defaultValue?: string | boolean;
  /** Choice parameters: the choices, the first being the default. */
  choices?: string[];
}

/** What the standard batch pipeline template needs to produce a job. @public */
export interface BatchJobSpec {
  /** Folder relative to the VPC's folder, usually the service, e.g. `payments-settlement`. */
  folder: string;
  /** Job name, e.g. `nightly-import`. */
  name: string;
  /** Jenkins timer spec (`H 2 * * *`); empty or absent: no timer. */
  schedule?: string | null;
  agentType: AgentType;
  parameters?: BatchJobParameterSpec[];
  /** The batch application's repository/artifact name, e.g. `payments-batch`. */
  application: string;
  /** The batch within the application to run, e.g. `import-settlements`. */
  batchName: string;
  description?: string;
  /**
   * Id of the job template to render it with (`GET /jobs/templates` lists
   * them). Default: the standard batch pipeline (`standard-batch-pipeline`).
   */
  template?: string;
}

/** `POST /jobs/create`: the job on every VPC named, from the template. @public */
export interface CreateBatchJobsRequest extends BatchJobSpec {
  vpcs: string[];
  /** Replace the configuration of jobs that already exist (history kept) instead of refusing. */
  update?: boolean;
  /**
   * Replace an existing job the template did not create (no
   * `batch-jobs-template` marker); refused without it. Its config is kept in
   * the job's config history.
   */
  force?: boolean;
  /** Validate and render only: nothing is written to Jenkins. */
  dryRun?: boolean;
  /** The owning entity, for the audit trail. */
  entityRef?: string;
}

/** What happened (or would happen, on a dry run) to the job of one VPC. @public */
export interface BatchJobWriteResult {
  vpc: string;
  /** Jenkins full name, e.g. `DEV/payments-settlement/nightly-import`. */
  fullName: string;
  action: 'created' | 'updated' | 'would-create' | 'would-update';
  /** Link to the job in Jenkins. */
  url: string;
  /** The config.xml sent (or that would be sent). */
  configXml: string;
  /** The audit event of the write (absent on dry runs). */
  auditId?: string;
}

/** @public */
export interface CreateBatchJobsResponse {
  dryRun: boolean;
  jobs: BatchJobWriteResult[];
}

/** The parts of a job's configuration worth comparing across VPCs. @public */
export interface JobDefinition {
  /** Timer spec, or null without a timer. */
  schedule: string | null;
  parameters: Array<{
    name: string;
    type: string;
    description: string;
    defaultValue?: string;
    choices?: string[];
  }>;
  /**
   * Agent label as configured, and the VPC-neutral form compared across VPCs:
   * `batch`/`worker` when it is the VPC's batch/worker label.
   */
  agentLabel: string | null;
  agentType: AgentType | null;
  /** Pipeline script (with the VPC's own names replaced by `${VPC}` / `${AGENT_LABEL}` when normalized). */
  script: string | null;
}

/** Fields a comparison reports. @public */
export type JobDefinitionField =
  | 'schedule'
  | 'parameters'
  | 'agentLabel'
  | 'script';

/** `GET /jobs/compare?job=&vpcs=` @public */
export interface JobComparisonResponse {
  /** Path relative to each VPC's folder. */
  job: string;
  vpcs: Array<{
    vpc: string;
    fullName: string;
    exists: boolean;
    /** As configured in this VPC (labels and names as they are). */
    definition?: JobDefinition;
    error?: string;
  }>;
  /**
   * Fields whose VPC-neutral values differ between the VPCs where the job
   * exists; `values` holds each VPC's value as configured.
   */
  differences: Array<{
    field: JobDefinitionField;
    values: Record<string, unknown>;
  }>;
}

/** `POST /jobs/promote`: copy `from`'s configuration to `to` (created when missing). @public */
export interface PromoteJobRequest {
  /** Path relative to the VPCs' folders, e.g. `payments-settlement/nightly-import`. */
  job: string;
  from: string;
  to: string;
  entityRef?: string;
}

/** @public */
export interface PromoteJobResponse {
  auditId: string;
  job: string;
  from: string;
  to: string;
  fullName: string;
  action: 'created' | 'updated' | 'unchanged';
  /** Fields that differed before the promotion. */
  changed: JobDefinitionField[];
}

const ITEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// The portal's own environment and variables a parameter must not replace.
const RESERVED_PARAMETER_NAMES = new Set([
  'VPC',
  'APPLICATION',
  'BATCH_NAME',
  'PATH',
  'HOME',
  'SHELL',
  'IFS',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
]);

/**
 * Checks an item name against what Jenkins accepts (Jenkins.checkGoodName)
 * and the stricter house rule (letters, digits, `.`, `_`, `-`, starting with
 * a letter or digit, so it is also a safe path and shell word). Returns the
 * problem, or undefined.
 * @public
 */
export function checkJobName(name: string, what = 'name'): string | undefined {
  if (!name) return `${what} is required`;
  if (name.length > 100) return `${what} must be at most 100 characters`;
  const unsafe = [...name].find(c => '?*/\\%!@#$^&|<>[]:;'.includes(c));
  if (unsafe)
    return `${what} '${name}': ‘${unsafe}’ is an unsafe character in Jenkins`;
  if (name.endsWith('.')) return `${what} '${name}' cannot end with '.'`;
  if (!ITEM_NAME.test(name)) {
    return `${what} '${name}' must be letters, digits, '.', '_' or '-' and start with a letter or digit`;
  }
  return undefined;
}

/**
 * Every problem of a job spec (empty when it is valid): names, folder path,
 * schedule with Jenkins' cron semantics (evaluated for `fullName`),
 * parameters.
 * @public
 */
export function validateBatchJobSpec(
  spec: BatchJobSpec,
  options: { fullName?: string } = {},
): string[] {
  const problems: string[] = [];
  const push = (p: string | undefined) => p && problems.push(p);
  const segments = (spec.folder ?? '').split('/');
  if (!spec.folder) problems.push('folder is required');
  else segments.forEach(s => push(checkJobName(s, 'folder segment')));
  push(checkJobName(spec.name, 'name'));
  push(checkJobName(spec.application, 'application'));
  push(checkJobName(spec.batchName, 'batch name'));
  if (spec.agentType !== 'batch' && spec.agentType !== 'worker') {
    problems.push(`agent type must be 'batch' or 'worker'`);
  }
  if (spec.schedule && spec.schedule.trim()) {
    try {
      parseJenkinsCron(spec.schedule, {
        jobFullName: options.fullName ?? `${spec.folder}/${spec.name}`,
      });
    } catch (error) {
      problems.push(`schedule: ${(error as Error).message}`);
    }
  }
  const seen = new Set<string>();
  for (const p of spec.parameters ?? []) {
    if (!PARAMETER_NAME.test(p.name ?? '')) {
      problems.push(
        `parameter '${p.name}': names are letters, digits and '_' and do not start with a digit`,
      );
      continue;
    }
    if (RESERVED_PARAMETER_NAMES.has(p.name)) {
      problems.push(
        `parameter '${p.name}': the name is reserved by the pipeline`,
      );
    }
    if (seen.has(p.name))
      problems.push(`parameter '${p.name}' is defined twice`);
    seen.add(p.name);
    if (!['string', 'text', 'boolean', 'choice', 'password'].includes(p.type)) {
      problems.push(`parameter '${p.name}': unknown type '${p.type}'`);
    }
    if (p.type === 'choice' && !(p.choices && p.choices.length > 0)) {
      problems.push(`parameter '${p.name}': a choice parameter needs choices`);
    }
  }
  return problems;
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function parameterXml(p: BatchJobParameterSpec): string {
  const head = `<name>${esc(p.name)}</name>\n          <description>${esc(
    p.description ?? '',
  )}</description>`;
  switch (p.type) {
    case 'boolean':
      return `        <hudson.model.BooleanParameterDefinition>
          ${head}
          <defaultValue>${
            p.defaultValue === true || p.defaultValue === 'true'
          }</defaultValue>
        </hudson.model.BooleanParameterDefinition>`;
    case 'choice':
      return `        <hudson.model.ChoiceParameterDefinition>
          ${head}
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array">
${(p.choices ?? [])
  .map(c => `              <string>${esc(c)}</string>`)
  .join('\n')}
            </a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>`;
    case 'password':
      return `        <hudson.model.PasswordParameterDefinition>
          ${head}
          <defaultValue></defaultValue>
        </hudson.model.PasswordParameterDefinition>`;
    default: {
      const kind =
        p.type === 'text'
          ? 'hudson.model.TextParameterDefinition'
          : 'hudson.model.StringParameterDefinition';
      return `        <${kind}>
          ${head}
          <defaultValue>${esc(String(p.defaultValue ?? ''))}</defaultValue>
          <trim>false</trim>
        </${kind}>`;
    }
  }
}

/**
 * Version of the standard pipeline template, written into every rendering
 * (`batch-jobs-template: N` in the script's first comment) so the portal
 * can tell jobs created by an older template. Bump it with every change of
 * the rendered script. 2: parameters as data (environment, single-quoted
 * shell), tracing off around them.
 * @public
 */
export const BATCH_PIPELINE_TEMPLATE_VERSION = 2;

/**
 * Id of the standard batch pipeline template, the one a request that names
 * no template gets.
 * @public
 */
export const STANDARD_JOB_TEMPLATE_ID = 'standard-batch-pipeline';

// `batch-jobs-template: 2` (the standard template) or `batch-jobs-template: <id>@<version>`.
const VERSION_MARK =
  /batch-jobs-template: (?:([A-Za-z0-9][A-Za-z0-9._-]*)@)?(\d+)/;
// The first template's comment, before versions were written.
const V1_MARK = 'Standard batch pipeline, generated by the Batch Jobs portal.';

/** Which template (by id) rendered a job, and which version of it. @public */
export interface JobTemplateMark {
  template: string;
  version: number;
}

/**
 * The template and version a job's config.xml (or script) was rendered
 * with, from the mark in its first comment; the standard template at
 * version 1 for its first, unversioned rendering; undefined for a job no
 * template created.
 * @public
 */
export function templateMarkOf(
  configXmlOrScript: string,
): JobTemplateMark | undefined {
  const match = VERSION_MARK.exec(configXmlOrScript);
  if (match) {
    return {
      template: match[1] ?? STANDARD_JOB_TEMPLATE_ID,
      version: Number(match[2]),
    };
  }
  return configXmlOrScript.includes(V1_MARK)
    ? { template: STANDARD_JOB_TEMPLATE_ID, version: 1 }
    : undefined;
}

/**
 * The mark a rendering of `template` at `version` carries:
 * `batch-jobs-template: <version>` for the standard template (as it always
 * wrote it), `batch-jobs-template: <id>@<version>` for any other.
 * @public
 */
export function templateMark(mark: JobTemplateMark): string {
  return mark.template === STANDARD_JOB_TEMPLATE_ID
    ? `batch-jobs-template: ${mark.version}`
    : `batch-jobs-template: ${mark.template}@${mark.version}`;
}

/**
 * The template version a job's config.xml (or script) was rendered with,
 * whichever template it was (`templateMarkOf`); 1 for the first,
 * unversioned standard template; undefined for a job no template created.
 * @public
 */
export function templateVersionOf(
  configXmlOrScript: string,
): number | undefined {
  return templateMarkOf(configXmlOrScript)?.version;
}

/**
 * What the portal shows of a job's template version (from
 * `templateVersionOf`); undefined for a job no template created. Against
 * the standard template's current version unless `template` names another
 * template and its current version.
 * @public
 */
export function templateInfoOf(
  version: number | null | undefined,
  template?: { id: string; current: number },
): JobTemplateInfo | undefined {
  if (version === null || version === undefined) return undefined;
  if (template && template.id !== STANDARD_JOB_TEMPLATE_ID) {
    return {
      version,
      current: template.current,
      outdated: version < template.current,
      template: template.id,
    };
  }
  return {
    version,
    current: BATCH_PIPELINE_TEMPLATE_VERSION,
    outdated: version < BATCH_PIPELINE_TEMPLATE_VERSION,
  };
}

/**
 * `GET /jobs/template?vpc=&job=`: the spec a job of the standard template
 * was rendered from, read back from its config.xml, so the job can be
 * re-rendered with the current template through `POST /jobs/update`.
 * @public
 */
export interface JobTemplateSpecResponse {
  vpc: string;
  /** Jenkins full name in `vpc`. */
  fullName: string;
  template: JobTemplateInfo;
  spec: BatchJobSpec;
}

/**
 * A Groovy single-quoted literal of `value`: no interpolation, every
 * character that could end it escaped. What job templates put names in.
 * @public
 */
export function groovyString(value: string): string {
  const escaped = [...value]
    .map(c => {
      if (c === '\\') return '\\\\';
      if (c === "'") return "\\'";
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      const code = c.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
        return `\\u${code.toString(16).padStart(4, '0')}`;
      }
      return c;
    })
    .join('');
  return `'${escaped}'`;
}

/**
 * The pipeline script of the standard batch template: an EC2 agent of the
 * VPC is started for the label (Jenkins' EC2 cloud provisions on demand),
 * the batch application is checked out and checked, the batch runs, and the
 * agent is always terminated; the team is notified on start, success and
 * failure.
 *
 * Parameters reach the batch as `--param NAME=value`, as data: Jenkins
 * exports each build parameter as an environment variable, which the
 * single-quoted shell step expands inside double quotes. Groovy never
 * substitutes a value into shell text, and `set +x` keeps the shell from
 * echoing values (passwords included). Names and labels are escaped Groovy
 * literals. Throws on a parameter name that is no shell variable name.
 * @public
 */
export function renderBatchPipelineScript(
  spec: BatchJobSpec,
  vpc: { name: string; agentLabel: string },
): string {
  const parameters = spec.parameters ?? [];
  for (const p of parameters) {
    if (!PARAMETER_NAME.test(p.name ?? '')) {
      throw new Error(
        `parameter '${p.name}': names are letters, digits and '_' and do not start with a digit`,
      );
    }
    if (RESERVED_PARAMETER_NAMES.has(p.name)) {
      throw new Error(
        `parameter '${p.name}': the name is reserved by the pipeline`,
      );
    }
  }
  const args = parameters.map(p => ` --param "${p.name}=$${p.name}"`).join('');
  const mark = templateMark({
    template: STANDARD_JOB_TEMPLATE_ID,
    version: BATCH_PIPELINE_TEMPLATE_VERSION,
  });
  return `// Standard batch pipeline (${mark}), generated by the Batch Jobs portal. Edit the template, not this job.
pipeline {
  // Jenkins' EC2 cloud starts an agent of the VPC for this label.
  agent { label ${groovyString(vpc.agentLabel)} }
  options { disableConcurrentBuilds() }
  environment {
    VPC = ${groovyString(vpc.name)}
    APPLICATION = ${groovyString(spec.application)}
    BATCH_NAME = ${groovyString(spec.batchName)}
  }
  stages {
    stage('Notify start') {
      steps { batchNotify(status: 'STARTED', vpc: env.VPC) }
    }
    stage('Check out') {
      steps { batchCheckout(application: env.APPLICATION) }
    }
    stage('Check') {
      steps { sh './bin/batch check "$BATCH_NAME"' }
    }
    stage('Run batch') {
      // Parameters are environment variables the shell expands, never Groovy
      // text; tracing is off first so no value (password) reaches the log.
      steps {
        sh '''
          set +x
          ./bin/batch run "$BATCH_NAME"${args}
        '''
      }
    }
  }
  post {
    success { batchNotify(status: 'SUCCESS', vpc: env.VPC) }
    failure { batchNotify(status: 'FAILURE', vpc: env.VPC) }
    always { batchTerminateAgent(vpc: env.VPC) }
  }
}
`;
}

/**
 * The config.xml of a job from the standard batch pipeline template, for
 * one VPC (its name and the agent label of the spec's agent type).
 * Parameters and the timer live in job properties, not in the script, so a
 * run never rewrites them.
 * @public
 */
export function renderBatchJobConfigXml(
  spec: BatchJobSpec,
  vpc: { name: string; agentLabel: string },
): string {
  return renderPipelineJobConfigXml(
    spec,
    renderBatchPipelineScript(spec, vpc),
    { templateTitle: 'standard batch pipeline' },
  );
}

/**
 * The config.xml of a pipeline job running `script`, with the spec's
 * description, parameters and timer as job properties: what every job
 * template renders around its pipeline script. The description defaults to
 * `Batch <batch> of <application> (<template title>).`
 * @public
 */
export function renderPipelineJobConfigXml(
  spec: BatchJobSpec,
  script: string,
  options: { templateTitle: string },
): string {
  const parameters = spec.parameters ?? [];
  const params = parameters.length
    ? `
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
${parameters.map(parameterXml).join('\n')}
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>`
    : '';
  const schedule = spec.schedule?.trim();
  const triggers = schedule
    ? `
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers>
        <hudson.triggers.TimerTrigger>
          <spec>${esc(schedule)}</spec>
        </hudson.triggers.TimerTrigger>
      </triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>`
    : '';
  const description =
    spec.description ??
    `Batch ${spec.batchName} of ${spec.application} (${options.templateTitle}).`;
  return `<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <actions/>
  <description>${esc(description)}</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty>
      <abortPrevious>false</abortPrevious>
    </org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty>${params}${triggers}
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>${esc(script)}</script>
    <sandbox>true</sandbox>
  </definition>
  <triggers/>
  <disabled>false</disabled>
</flow-definition>
`;
}

/** `GET /jobs/templates`: the job templates a request may name. @public */
export interface JobTemplatesResponse {
  /** What a request naming no template gets: the standard batch pipeline. */
  defaultTemplate: string;
  templates: Array<{
    id: string;
    title: string;
    description?: string;
    /** The version jobs are rendered with now. */
    version: number;
  }>;
  /** Template sources that could not be read (their templates are missing above). */
  errors: Array<{ source: string; message: string }>;
}
