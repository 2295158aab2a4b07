import type { BuildLog } from './logs';
import type { StagePlan } from './stages';

/** The objects of the simulated Jenkins controller. Plain data; behaviour lives in World. */

export type ParamDefinition =
  | { type: 'string'; name: string; description: string; defaultValue: string }
  | { type: 'text'; name: string; description: string; defaultValue: string }
  | { type: 'boolean'; name: string; description: string; defaultValue: boolean }
  | { type: 'choice'; name: string; description: string; choices: string[] }
  | { type: 'password'; name: string; description: string; defaultValue: string };

export type ParamValue =
  | { type: 'string'; name: string; value: string }
  | { type: 'text'; name: string; value: string }
  | { type: 'boolean'; name: string; value: boolean }
  | { type: 'password'; name: string; value: string };

export type Cause =
  | { kind: 'timer' }
  | { kind: 'user'; userId: string | null; userName: string }
  | {
      kind: 'upstream';
      project: string;
      build: number;
      url: string;
      /** What started the upstream build, as Jenkins nests it. */
      upstreamCauses: Cause[];
    }
  | { kind: 'remote'; addr: string; note: string | null };

export type Result = 'SUCCESS' | 'FAILURE' | 'UNSTABLE' | 'ABORTED' | 'NOT_BUILT';

export interface Folder {
  kind: 'folder';
  name: string;
  fullName: string;
  description: string | null;
  parent: Folder | null;
  /** Sorted case-insensitively by name, as Jenkins keeps them. */
  children: Item[];
  /** A multibranch Pipeline project: its jobs are branches, named with `/` encoded as `%2F`. */
  multibranch?: boolean;
}

export interface Job {
  kind: 'pipeline' | 'freestyle';
  name: string;
  /** What Jenkins shows instead of the name: a branch job's branch (`feature/ORD-214`). */
  displayName?: string;
  fullName: string;
  description: string;
  parent: Folder;
  params: ParamDefinition[];
  timerSpec: string | null;
  /** Label expression the work runs on. */
  label: string;
  concurrentBuild: boolean;
  disabled: boolean;
  /** Ascending by number. */
  builds: Build[];
  nextBuildNumber: number;
  /** Behaviour of the simulation. */
  profile: JobProfile;
  /** The config.xml it was created or last updated with (createItem, POST config.xml); absent for seeded jobs. */
  configXml?: string;
}

export interface JobProfile {
  /** Typical duration of a run, in ms; a worker runs until stopped. */
  meanDurationMs: number;
  failureRate: number;
  worker: boolean;
  /** What the main step says it processes, e.g. "settlement". */
  topic: string;
  /** A pipeline's stages; default: checkout, then the work. */
  stages?: StagePlan[];
}

export type Item = Folder | Job;

export interface Build {
  job: Job;
  number: number;
  queueId: number;
  causes: Cause[];
  params: ParamValue[] | null;
  /** When the build left the queue (Jenkins' `timestamp`). */
  timestamp: number;
  /** When the work got an executor on an agent; null while waiting for one. */
  agentAt: number | null;
  /** Planned length of the work once on an agent; Infinity for workers. */
  workMs: number;
  /** Result the work will end with if nobody stops it. */
  plannedResult: Result;
  result: Result | null;
  completedAt: number | null;
  builtOn: string | null;
  /** Created lazily: the log is generated, not stored. */
  log: BuildLog | null;
  /** Who stopped it, when aborted by a person. */
  abortedBy: string | null;
  /** Set on the one build whose log is made big on purpose. */
  bigLog: boolean;
  /** Time spent in the queue before it started, for the build's queue action. */
  queuedAt: number;
  /**
   * A stubborn build (set by a test or the sandbox control route) ignores
   * `stop`, or `stop` and `term`, the way a pipeline stuck in a step that
   * does not honour interrupts does; `kill` always ends it.
   */
  ignores?: 'stop' | 'term';
  /** Escalations asked for so far, in order (stop, term, kill). */
  stopRequests?: Array<{ mode: StopMode; at: number }>;
  /** How the pipeline's input step was answered; absent while it waits (or it has none). */
  inputDecision?: { kind: 'proceed' | 'abort'; by: string; at: number; values: ParamValue[] };
}

/** Jenkins' escalating ways to end a pipeline build: `stop`, then `term`, then `kill`. */
export type StopMode = 'stop' | 'term' | 'kill';

export interface QueueItem {
  id: number;
  /** A job, or the `node {}` block of a running pipeline build waiting for an agent. */
  task: { kind: 'job'; job: Job } | { kind: 'placeholder'; build: Build };
  causes: Cause[];
  params: ParamValue[] | null;
  inQueueSince: number;
  /** End of the quiet period. */
  buildableAt: number;
  state: 'waiting' | 'blocked' | 'buildable' | 'left';
  /** When it entered its current state (Jenkins' buildableStartMilliseconds). */
  stateSince: number;
  cancelled: boolean;
  executable: Build | null;
  leftAt: number | null;
}

export interface Node {
  name: string;
  labels: string[];
  numExecutors: number;
  /** One slot per executor: the build using it, or null. */
  executors: Array<Build | null>;
  builtIn: boolean;
  offline: boolean;
  temporarilyOffline: boolean;
  offlineCause:
    | null
    | { kind: 'user'; userId: string; message: string; timestamp: number }
    | { kind: 'channel'; message: string; timestamp: number };
  description: string;
  connectedSince: number;
  /**
   * Whether the agent's channel is open. Absent on seeded nodes: connected
   * unless offline for another reason than a person pausing it.
   */
  connected?: boolean;
  /** Remote root directory and launcher, as created by `doCreateItem`. */
  remoteFS?: string;
  launcher?: string;
  /** Deterministic monitor figures. */
  monitor: { totalMemory: number; freeMemory: number; diskFree: number; tmpFree: number; responseMs: number };
}

export interface User {
  id: string;
  fullName: string;
  password: string;
  apiToken: string;
}
