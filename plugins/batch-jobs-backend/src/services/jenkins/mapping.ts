import {
  BuildCause,
  BuildParameter,
  BuildResult,
  BuildStatus,
  BuildSummary,
  JobSchedule,
  JobStats,
  JobSummary,
  QueueItemStatus,
  templateMarkOf,
} from '@batch-jobs/plugin-batch-jobs-common';
import { at, parseConfigXml, textAt, XmlElement } from './configXml';
import {
  RawBuild,
  RawCause,
  RawJob,
  RawParameterValue,
  RawQueueItem,
} from './types';

/*
 * Pure translations from Jenkins JSON to our REST shapes. They must cope with
 * every Jenkins generation we may meet: `_class` is missing on old controllers,
 * so fall back to the fields a cause carries.
 */

const RESULTS: BuildResult[] = [
  'SUCCESS',
  'FAILURE',
  'UNSTABLE',
  'ABORTED',
  'NOT_BUILT',
];

/** @internal */
export function mapCause(raw: RawCause): BuildCause {
  const cls = raw._class ?? '';
  const description = raw.shortDescription ?? '';
  if (
    cls.endsWith('$UserIdCause') ||
    cls.endsWith('$UserCause') ||
    (!cls && ('userId' in raw || 'userName' in raw))
  ) {
    return {
      kind: 'user',
      description: description || 'Started by a user',
      userId: raw.userId ?? null,
      userName: raw.userName ?? null,
    };
  }
  if (
    cls.endsWith('$UpstreamCause') ||
    cls.endsWith('BuildUpstreamCause') ||
    (!cls && raw.upstreamProject !== undefined)
  ) {
    const cause: BuildCause = {
      kind: 'upstream',
      description:
        description ||
        `Started by upstream project "${raw.upstreamProject}" build number ${raw.upstreamBuild}`,
    };
    if (raw.upstreamProject !== undefined)
      cause.upstreamJob = raw.upstreamProject;
    if (typeof raw.upstreamBuild === 'number')
      cause.upstreamBuild = raw.upstreamBuild;
    return cause;
  }
  if (
    cls.includes('TimerTrigger') ||
    (!cls && description === 'Started by timer')
  ) {
    return { kind: 'timer', description: description || 'Started by timer' };
  }
  if (
    cls.endsWith('$RemoteCause') ||
    (!cls &&
      (raw.addr !== undefined ||
        description.startsWith('Started by remote host')))
  ) {
    return {
      kind: 'remote',
      description: description || 'Started by remote host',
    };
  }
  if (
    /SCMTrigger|BranchEventCause|BranchIndexingCause|PushCause|GitHubPushCause/.test(
      cls,
    ) ||
    (!cls && /SCM change|push/i.test(description))
  ) {
    return {
      kind: 'scm',
      description: description || 'Started by an SCM change',
    };
  }
  return { kind: 'other', description: description || cls || 'Unknown cause' };
}

/** Causes of a build, in Jenkins' order, from every CauseAction. @internal */
export function mapCauses(build: Pick<RawBuild, 'actions'>): BuildCause[] {
  const causes: BuildCause[] = [];
  for (const action of build.actions ?? []) {
    for (const cause of action?.causes ?? []) {
      if (cause) causes.push(mapCause(cause));
    }
  }
  return causes;
}

/** Names of parameters whose values are secrets, from the job's definitions. @internal */
export function secretParameterNames(job: RawJob | undefined): Set<string> {
  const names = new Set<string>();
  for (const def of parameterDefinitions(job)) {
    if (
      def.name &&
      /Password|Credentials/i.test(def.type ?? def._class ?? '')
    ) {
      names.add(def.name);
    }
  }
  return names;
}

/** Parameter definitions of a job, wherever the Jenkins generation keeps them. @internal */
export function parameterDefinitions(job: RawJob | undefined) {
  const defs = [];
  for (const holder of [...(job?.property ?? []), ...(job?.actions ?? [])]) {
    for (const def of holder?.parameterDefinitions ?? []) {
      if (def) defs.push(def);
    }
  }
  return defs;
}

function isSecretValue(raw: RawParameterValue, secretNames: Set<string>) {
  return (
    /Password/i.test(raw._class ?? '') ||
    (raw.name !== undefined && secretNames.has(raw.name))
  );
}

/** @internal */
export function mapParameters(
  build: Pick<RawBuild, 'actions'>,
  secretNames: Set<string> = new Set(),
): BuildParameter[] {
  const params: BuildParameter[] = [];
  for (const action of build.actions ?? []) {
    for (const raw of action?.parameters ?? []) {
      if (!raw || typeof raw.name !== 'string') continue;
      if (isSecretValue(raw, secretNames)) {
        params.push({ name: raw.name, value: null, secret: true });
        continue;
      }
      const v = raw.value;
      let value: BuildParameter['value'];
      if (v === undefined || v === null) value = null;
      else if (
        typeof v === 'string' ||
        typeof v === 'number' ||
        typeof v === 'boolean'
      )
        value = v;
      else value = JSON.stringify(v);
      params.push({ name: raw.name, value });
    }
  }
  return params;
}

/** @internal */
export function mapResult(result: unknown): BuildResult | null {
  return typeof result === 'string' && (RESULTS as string[]).includes(result)
    ? (result as BuildResult)
    : null;
}

/** @internal */
export function mapStatus(
  building: boolean,
  result: BuildResult | null,
): BuildStatus {
  if (building) return 'running';
  if (!result) return 'unknown';
  return result.toLowerCase() as BuildStatus;
}

/** @internal */
export function mapBuild(
  raw: RawBuild,
  options: { now: number; secretNames?: Set<string> },
): BuildSummary {
  const building = raw.building === true;
  const result = building ? null : mapResult(raw.result);
  const timestamp = typeof raw.timestamp === 'number' ? raw.timestamp : 0;
  const duration = building
    ? Math.max(0, options.now - timestamp)
    : Math.max(0, raw.duration ?? 0);
  return {
    number: raw.number ?? 0,
    url: raw.url ?? '',
    status: mapStatus(building, result),
    result,
    building,
    startedAt: new Date(timestamp).toISOString(),
    durationMs: duration,
    // Jenkins says -1 when it has no estimate yet.
    estimatedDurationMs: Math.max(0, raw.estimatedDuration ?? 0),
    causes: mapCauses(raw),
    parameters: mapParameters(raw, options.secretNames),
  };
}

/** Folders (and multibranch/organization folders) hold jobs; they are not jobs. @internal */
export function isFolder(raw: RawJob): boolean {
  const cls = raw._class ?? '';
  return (
    Array.isArray(raw.jobs) ||
    /Folder|MultiBranchProject|OrganizationFolder/.test(cls)
  );
}

/** @internal */
export function jobKind(raw: RawJob): JobSummary['kind'] {
  const cls = raw._class ?? '';
  if (cls.endsWith('.WorkflowJob')) return 'pipeline';
  if (cls.endsWith('.FreeStyleProject')) return 'freestyle';
  return 'other';
}

/** @internal */
export function mapJob(
  raw: RawJob,
  options: {
    now: number;
    fullName: string;
    /** The schedule, or just the raw spec. */
    schedule: JobSchedule | string | null;
    stats?: JobStats;
  },
): JobSummary {
  const secretNames = secretParameterNames(raw);
  const schedule =
    options.schedule === null || typeof options.schedule === 'string'
      ? { spec: options.schedule }
      : options.schedule;
  const job: JobSummary = {
    name: raw.name ?? options.fullName.split('/').pop() ?? '',
    fullName: raw.fullName ?? options.fullName,
    displayName: raw.displayName ?? raw.name ?? '',
    url: raw.url ?? '',
    kind: jobKind(raw),
    color: raw.color ?? null,
    buildable: raw.buildable !== false,
    parameterized: parameterDefinitions(raw).length > 0,
    schedule,
    lastBuild: raw.lastBuild
      ? mapBuild(raw.lastBuild, { now: options.now, secretNames })
      : null,
  };
  if (options.stats) job.stats = options.stats;
  return job;
}

/** @internal */
export function mapQueueItem(raw: RawQueueItem): QueueItemStatus {
  const status: QueueItemStatus = {
    id: raw.id ?? 0,
    state: 'queued',
    why: raw.why ?? null,
  };
  if (raw.cancelled) {
    status.state = 'cancelled';
  } else if (raw.executable && typeof raw.executable.number === 'number') {
    status.state = 'started';
    status.build = {
      number: raw.executable.number,
      url: raw.executable.url ?? '',
    };
  }
  return status;
}

const TIMER = 'hudson.triggers.TimerTrigger';

const PIPELINE_TRIGGERS =
  'org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty';

/** A root's timer: in `<triggers>` (freestyle, old pipelines) or in `PipelineTriggersJobProperty`. */
function timerOf(root: XmlElement): XmlElement | undefined {
  return (
    at(root, 'triggers', TIMER) ??
    at(root, 'properties', PIPELINE_TRIGGERS, 'triggers', TIMER)
  );
}

function specOf(root: XmlElement): string | null {
  const timer = timerOf(root);
  const spec = timer ? textAt(timer, 'spec')?.trim() : undefined;
  return spec ? spec : null;
}

/**
 * The `TimerTrigger` spec from a job's config.xml: freestyle jobs keep it in
 * `<triggers>`, pipelines in `PipelineTriggersJobProperty`; both use the same
 * element. Returns null when the job has no timer.
 * @internal
 */
export function parseTimerSpec(configXml: string): string | null {
  return specOf(parseConfigXml(configXml));
}

/** What a job's config.xml says about when and where it runs. @public */
export interface JobRunConfig {
  /** `TimerTrigger` spec, or null when the job has no timer. */
  spec: string | null;
  /**
   * Agent label expression the work runs on; null when the job names none
   * (runs on any node) or it is not in config.xml (a Jenkinsfile from SCM).
   */
  label: string | null;
  /**
   * Version of the job template its script was rendered with
   * (`templateMarkOf`); null when no template created the job.
   */
  templateVersion: number | null;
  /** Id of that template; null when no template created the job. */
  template: string | null;
}

// Pipeline script forms naming an agent, most specific first. Declarative:
// `agent { label 'x' }`, `agent { node { label 'x' } }`, `agent { label: 'x' }`;
// scripted: `node('x')`, `node(label: 'x')`.
const AGENT_PATTERNS = [
  /\bagent\s*\{\s*(?:node\s*\{\s*)?label\s*:?\s*(['"])((?:(?!\1)[^\\]|\\.)*)\1/,
  /\bnode\s*\(\s*(?:label\s*:\s*)?(['"])((?:(?!\1)[^\\]|\\.)*)\1/,
];

/** The agent label of a pipeline script: the first one it names. */
function pipelineLabel(script: string): string | null {
  let best: { at: number; label: string } | undefined;
  for (const pattern of AGENT_PATTERNS) {
    const m = pattern.exec(script);
    if (m && (!best || m.index < best.at)) {
      best = { at: m.index, label: m[2].trim() };
    }
  }
  return best?.label ? best.label : null;
}

/**
 * Timer spec, agent label and template version from a job's config.xml.
 * Freestyle jobs keep the label in `<assignedNode>` (ignored when
 * `<canRoam>` is true, as Jenkins does); pipelines in their script
 * (`agent { label … }` or `node('…')`), of which the first one named is
 * taken. The template version is read from the pipeline script only, so a
 * description quoting the template's mark does not count.
 * @internal
 */
export function parseJobConfig(configXml: string): JobRunConfig {
  return jobConfigOf(parseConfigXml(configXml));
}

/** `parseJobConfig` of an already parsed config.xml. @internal */
export function jobConfigOf(root: XmlElement): JobRunConfig {
  const spec = specOf(root);
  let label: string | null = null;
  const assigned = textAt(root, 'assignedNode');
  const roams = textAt(root, 'canRoam')?.trim() === 'true';
  // CpsFlowDefinition keeps the pipeline script in <definition><script>.
  const script = textAt(root, 'definition', 'script') ?? null;
  if (assigned !== undefined && !roams) {
    label = assigned.trim() || null;
  } else if (script !== null) {
    label = pipelineLabel(script);
  }
  const mark = script === null ? undefined : templateMarkOf(script);
  return {
    spec,
    label,
    templateVersion: mark?.version ?? null,
    template: mark?.template ?? null,
  };
}
