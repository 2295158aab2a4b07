/*
 * Shapes of the Jenkins JSON API as far as we read it. Every field is optional:
 * old controllers omit `_class`, folders omit `color`, and `tree=` only returns
 * what was asked for.
 */

/** @public */
export interface RawCause {
  _class?: string;
  shortDescription?: string;
  userId?: string | null;
  userName?: string | null;
  upstreamProject?: string;
  upstreamBuild?: number;
  upstreamUrl?: string;
  addr?: string;
  note?: string | null;
}

/** @public */
export interface RawParameterValue {
  _class?: string;
  name?: string;
  value?: unknown;
}

/** @public */
export interface RawAction {
  _class?: string;
  causes?: RawCause[];
  parameters?: RawParameterValue[];
  /** TimeInQueueAction (metrics plugin): where the build waited before it started. */
  blockedDurationMillis?: number;
  buildableDurationMillis?: number;
  waitingDurationMillis?: number;
}

/** @public */
export interface RawBuild {
  _class?: string;
  number?: number;
  id?: string;
  url?: string;
  building?: boolean;
  result?: string | null;
  timestamp?: number;
  duration?: number;
  estimatedDuration?: number;
  queueId?: number;
  actions?: Array<RawAction | null>;
}

/** @public */
export interface RawParameterDefinition {
  name?: string;
  type?: string;
  _class?: string;
  description?: string | null;
  /** Choice parameters. */
  choices?: string[];
  /** Passwords come without `value`. */
  defaultParameterValue?: RawParameterValue | null;
}

/** @public */
export interface RawJobProperty {
  _class?: string;
  parameterDefinitions?: RawParameterDefinition[];
}

/** @public */
export interface RawJob {
  _class?: string;
  name?: string;
  fullName?: string;
  displayName?: string;
  url?: string;
  color?: string;
  buildable?: boolean;
  property?: Array<RawJobProperty | null>;
  /** Old controllers list parameter definitions under actions. */
  actions?: Array<(RawAction & RawJobProperty) | null>;
  lastBuild?: RawBuild | null;
  /** Newest finished build (when asked for). */
  lastCompletedBuild?: { number?: number } | null;
  allBuilds?: RawBuild[];
  builds?: RawBuild[];
  /** Present on folders (when asked for). */
  jobs?: RawJob[];
}

/** @public */
export interface RawQueueItem {
  _class?: string;
  id?: number;
  why?: string | null;
  cancelled?: boolean;
  blocked?: boolean;
  buildable?: boolean;
  stuck?: boolean;
  inQueueSince?: number;
  params?: string;
  task?: { _class?: string; name?: string; url?: string; color?: string };
  executable?: { _class?: string; number?: number; url?: string } | null;
  actions?: Array<RawAction | null>;
}

/** @public */
export interface RawCrumb {
  crumb?: string;
  crumbRequestField?: string;
}

/** @public */
export interface RawComputer {
  _class?: string;
  displayName?: string;
  offline?: boolean;
  temporarilyOffline?: boolean;
  numExecutors?: number;
  assignedLabels?: Array<{ name?: string } | null>;
  offlineCauseReason?: string | null;
  offlineCause?: {
    _class?: string;
    description?: string;
    timestamp?: number;
  } | null;
  idle?: boolean;
  executors?: Array<{
    idle?: boolean;
    currentExecutable?: {
      _class?: string;
      url?: string;
      number?: number;
      fullDisplayName?: string;
    } | null;
  } | null>;
}

/** `/computer/api/json` @public */
export interface RawComputerSet {
  computer?: Array<RawComputer | null>;
}
