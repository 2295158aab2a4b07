import axios, { AxiosError, AxiosInstance, AxiosResponse, Method } from 'axios';
import { Readable } from 'node:stream';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { JenkinsInstanceConfig } from '../../config';
import { JenkinsRefusedError } from './errors';
import {
  RawBuild,
  RawComputer,
  RawComputerSet,
  RawCrumb,
  RawJob,
  RawQueueItem,
} from './types';
import { JobRunConfig, parseJobConfig, parseTimerSpec } from './mapping';
import { RawNodeLog, RawPendingInput, RawRun, RawStageNode } from './stages';

/** Why a build or queue item exists: its CauseAction's causes. */
const CAUSES_TREE =
  'causes[_class,shortDescription,userId,userName,upstreamProject,upstreamBuild,upstreamUrl,addr,note]';

/** Fields of a build we read everywhere; one level of actions, never `*`. */
export const BUILD_TREE =
  'number,url,building,result,timestamp,duration,estimatedDuration,queueId,' +
  `actions[${CAUSES_TREE},parameters[_class,name,value]]`;

const PARAMS_TREE = 'property[parameterDefinitions[name,type]]';

/** Fields of a job, with its last build, for list views. */
export const JOB_TREE = `_class,name,fullName,displayName,url,color,buildable,${PARAMS_TREE},lastBuild[${BUILD_TREE}]`;

/** Finished builds the stats look at; a handful of small fields each. */
export const RECENT_BUILDS_TREE =
  'builds[number,result,duration,timestamp]{0,30}';

/** A folder's jobs and, one level down, the jobs of its sub-folders: one request. */
export const FOLDER_TREE = `jobs[${JOB_TREE},${RECENT_BUILDS_TREE},jobs[${JOB_TREE},${RECENT_BUILDS_TREE}]]`;

/**
 * A job list row without its build history: the job, its last build and the
 * number of its newest finished build (which says when stats are stale).
 */
const LIST_JOB_TREE = `${JOB_TREE},lastCompletedBuild[number]`;

/**
 * One item an entity names (a job, or a folder and its jobs), as the job
 * list shows it: about what the community plugin reads for a folder.
 */
export const ITEM_TREE = `${LIST_JOB_TREE},jobs[${LIST_JOB_TREE}]`;

/** A folder's jobs and its sub-folders' jobs, without build history (glob selectors). */
export const FOLDER_LIST_TREE = `jobs[${LIST_JOB_TREE},jobs[${LIST_JOB_TREE}]]`;

/** Recent finished builds of an item's jobs, for the stats column (read when they change). */
const STATS_JOB_TREE = `name,${RECENT_BUILDS_TREE}`;
export const ITEM_STATS_TREE = `${STATS_JOB_TREE},jobs[${STATS_JOB_TREE}]`;
export const FOLDER_STATS_TREE = `jobs[${STATS_JOB_TREE},jobs[${STATS_JOB_TREE}]]`;

/**
 * What says that a job list changed (jobs added or removed, a build started
 * or finished, a job paused): a few bytes per job, polled while tabs watch.
 */
const CHANGE_JOB_TREE =
  'name,color,buildable,lastBuild[number,result],lastCompletedBuild[number]';
export const ITEM_CHANGE_TREE = `${CHANGE_JOB_TREE},jobs[${CHANGE_JOB_TREE}]`;
export const FOLDER_CHANGE_TREE = `jobs[${CHANGE_JOB_TREE},jobs[${CHANGE_JOB_TREE}]]`;

/**
 * What the timeline needs of every job of a VPC: kind, whether timers fire
 * (buildable), Jenkins' duration estimate and the newest timer cause (to
 * notice a changed spec), a few durations for a median. Three levels of
 * folders (VPC → service → job, or one more) in one request.
 */
const TIMELINE_JOB_TREE =
  '_class,name,fullName,buildable,' +
  'lastBuild[number,timestamp,estimatedDuration,actions[causes[_class]]],' +
  'builds[result,duration]{0,10}';
export const VPC_TREE = `jobs[${TIMELINE_JOB_TREE},jobs[${TIMELINE_JOB_TREE},jobs[${TIMELINE_JOB_TREE}]]]`;

/** Nodes with what decides where work can run. */
export const COMPUTER_TREE =
  'computer[displayName,offline,numExecutors,assignedLabels[name]]';

/** A node as the fleet shows it: executors with their builds, and why it is offline. */
export const FLEET_COMPUTER_TREE =
  'displayName,offline,temporarilyOffline,offlineCauseReason,offlineCause[_class,description,timestamp],' +
  'numExecutors,idle,assignedLabels[name],executors[idle,currentExecutable[_class,url,number,fullDisplayName]]';

const QUEUE_TREE =
  'id,why,cancelled,blocked,buildable,stuck,task[name,url],executable[number,url]';

const NO_RETRY = new Set([400, 401, 403, 404, 409, 422]);

/** A slice of a console log as Jenkins' progressiveText returns it. @public */
export interface LogChunk {
  stream: Readable;
  /** Byte offset to ask for next (`X-Text-Size`). */
  textSize: string | undefined;
  /** `true` while the build is still writing (`X-More-Data`). */
  moreData: string | undefined;
}

/** @public */
export type BuildParameters = Record<string, string>;

/** Encodes a `/`-separated full name as Jenkins' `/job/a/job/b` path. @public */
export function jobPath(fullName: string): string {
  if (!fullName) return '';
  return fullName
    .split('/')
    .map(segment => `/job/${encodeURIComponent(segment)}`)
    .join('');
}

/**
 * Whether a queue item's task is this job: a queue id names nothing about
 * the job, so its task URL must be the job's whole path. A suffix is not
 * enough (`/job/DEV/job/other/job/x/` ends like `other/x`); what precedes
 * the first `job` segment is the controller's context path (`/jenkins`).
 */
export function isQueueItemOf(item: RawQueueItem, fullName: string): boolean {
  const url = item.task?.url;
  if (!url || !fullName) return false;
  let segments: string[];
  try {
    segments = new URL(url, 'http://x').pathname.split('/').filter(Boolean);
  } catch {
    return false;
  }
  const first = segments.indexOf('job');
  if (first < 0) return false;
  const path = segments.slice(first);
  const names = fullName.split('/');
  if (path.length !== names.length * 2) return false;
  return names.every((name, i) => {
    if (path[2 * i] !== 'job') return false;
    try {
      return decodeURIComponent(path[2 * i + 1]) === name;
    } catch {
      return false;
    }
  });
}

/** Jenkins wants a (fresh) CSRF crumb for this POST. */
class CrumbRejected extends Error {}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Talks to one Jenkins controller. Long-lived: one instance (and one axios
 * instance, with keep-alive) per configured controller.
 * @public
 */
export class JenkinsClient {
  readonly name: string;
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly config: JenkinsInstanceConfig;
  private readonly logger: LoggerService;
  private crumb?: { field: string; value: string; cookie?: string };

  static fromConfig(
    config: JenkinsInstanceConfig,
    options: { logger: LoggerService },
  ) {
    return new JenkinsClient(config, options.logger);
  }

  private constructor(config: JenkinsInstanceConfig, logger: LoggerService) {
    this.config = config;
    this.name = config.name;
    this.baseUrl = config.baseUrl;
    this.logger = logger.child({ jenkins: config.name });
    this.http = axios.create({
      baseURL: config.baseUrl,
      timeout: config.timeoutMs,
      auth: { username: config.username, password: config.apiToken },
      headers: { Accept: 'application/json' },
      // We classify every status ourselves.
      validateStatus: () => true,
    });
  }

  /** The Jenkins user the portal acts as: builds it starts carry its UserIdCause. */
  get serviceAccount(): string {
    return this.config.username;
  }

  /** A folder's jobs (and its sub-folders' jobs) with their last build. '' is the root. */
  async listFolder(folder: string): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(folder)}/api/json`,
      { tree: FOLDER_TREE },
      `folder '${folder || '/'}'`,
    );
  }

  /**
   * An item (job or folder, '' is the root) read with `tree`, e.g.
   * ITEM_TREE for a job list or ITEM_CHANGE_TREE to notice changes.
   */
  async getItem(path: string, tree: string): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(path)}/api/json`,
      { tree },
      path ? `job '${path}'` : `folder '/'`,
    );
  }

  /** Every job of a VPC's folder, nested up to three levels, for the timeline: one request. */
  async listVpcTree(folder: string): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(folder)}/api/json`,
      { tree: VPC_TREE },
      `folder '${folder || '/'}'`,
    );
  }

  /** The controller's nodes: labels, executors, online or not. */
  async listComputers(): Promise<RawComputerSet> {
    return this.getJson<RawComputerSet>(
      '/computer/api/json',
      { tree: COMPUTER_TREE },
      'nodes',
    );
  }

  /** Every node with what the fleet shows (executors, builds, offline cause): one request. */
  async listFleetComputers(): Promise<RawComputerSet> {
    return this.getJson<RawComputerSet>(
      '/computer/api/json',
      { tree: `computer[${FLEET_COMPUTER_TREE}]` },
      'nodes',
    );
  }

  /** One node, as the fleet reads it; NotFoundError when Jenkins has none. */
  async getComputer(name: string): Promise<RawComputer> {
    return this.getJson<RawComputer>(
      `/computer/${encodeURIComponent(name)}/api/json`,
      { tree: FLEET_COMPUTER_TREE },
      `node '${name}'`,
    );
  }

  /**
   * What waits in the queue, with Jenkins' why: one request. `causes` adds
   * who queued each item (its CauseAction), which the fleet view does not need.
   */
  async listQueue(
    options: { causes?: boolean } = {},
  ): Promise<{ items?: RawQueueItem[] }> {
    const causes = options.causes ? `,actions[${CAUSES_TREE}]` : '';
    return this.getJson<{ items?: RawQueueItem[] }>(
      '/queue/api/json',
      {
        tree: `items[${QUEUE_TREE},inQueueSince,task[name,url,fullDisplayName]${causes}]`,
      },
      'queue',
    );
  }

  /**
   * Creates a permanent inbound (JNLP) agent, as the UI and CLI do
   * (`/computer/doCreateItem` with the structured form in `json`).
   */
  async createNode(spec: {
    name: string;
    description: string;
    executors: number;
    label: string;
    remoteFS: string;
  }): Promise<void> {
    const type = 'hudson.slaves.DumbSlave';
    const launcher = 'hudson.slaves.JNLPLauncher';
    const retention = 'hudson.slaves.RetentionStrategy$Always';
    const json = {
      name: spec.name,
      nodeDescription: spec.description,
      numExecutors: String(spec.executors),
      remoteFS: spec.remoteFS,
      labelString: spec.label,
      // Only builds asking for the label land on it.
      mode: 'EXCLUSIVE',
      type,
      launcher: { 'stapler-class': launcher, $class: launcher },
      retentionStrategy: { 'stapler-class': retention, $class: retention },
      nodeProperties: { 'stapler-class-bag': 'true' },
    };
    const body = new URLSearchParams({
      name: spec.name,
      type,
      json: JSON.stringify(json),
    }).toString();
    await this.post(
      '/computer/doCreateItem',
      body,
      `creation of node '${spec.name}'`,
    );
  }

  /** Deletes a node (`/computer/<n>/doDelete`); NotFoundError when it is already gone. */
  async deleteNode(name: string): Promise<void> {
    await this.post(
      `/computer/${encodeURIComponent(name)}/doDelete`,
      '',
      `deletion of node '${name}'`,
    );
  }

  /** Flips a node's "temporarily offline" flag; the message shows as the offline cause. */
  async toggleOffline(name: string, message: string): Promise<void> {
    await this.post(
      `/computer/${encodeURIComponent(
        name,
      )}/toggleOffline?${new URLSearchParams({ offlineMessage: message })}`,
      '',
      `taking node '${name}' offline`,
    );
  }

  /** A job's definition (kind, parameter definitions). */
  async getJob(fullName: string): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(fullName)}/api/json`,
      { tree: `_class,name,fullName,url,buildable,${PARAMS_TREE}` },
      `job '${fullName}'`,
    );
  }

  /**
   * Builds `offset` (inclusive) to `offset + count` (exclusive), newest first.
   * `allBuilds` with a range reaches past the newest 100 that `builds` stops at.
   */
  async listBuilds(
    fullName: string,
    offset: number,
    count: number,
  ): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(fullName)}/api/json`,
      {
        tree: `${PARAMS_TREE},allBuilds[${BUILD_TREE}]{${offset},${
          offset + count
        }}`,
      },
      `job '${fullName}'`,
    );
  }

  async getBuild(fullName: string, number: number): Promise<RawBuild> {
    return this.getJson<RawBuild>(
      `${jobPath(fullName)}/${number}/api/json`,
      { tree: BUILD_TREE },
      `build '${fullName}' #${number}`,
    );
  }

  async getQueueItem(id: number): Promise<RawQueueItem> {
    return this.getJson<RawQueueItem>(
      `/queue/item/${id}/api/json`,
      { tree: QUEUE_TREE },
      `queue item ${id}`,
    );
  }

  /**
   * Whether the controller answers, and its clock (the `Date` header; ours
   * when it sends none): expected timer runs are on the controller's time.
   */
  async ping(): Promise<{ controllerNow: Date }> {
    const res = await this.request<unknown>({
      method: 'GET',
      url: '/api/json',
      params: { tree: 'mode' },
      what: 'reachability probe',
    });
    const date = Date.parse(headerValue(res.headers.date) ?? '');
    return { controllerNow: new Date(Number.isNaN(date) ? Date.now() : date) };
  }

  /**
   * A job's newest builds with their causes and time in the queue (the
   * metrics plugin's TimeInQueueAction, when installed): what the missed
   * runs check compares with the timer's schedule.
   */
  async listTimerHistory(fullName: string, count: number): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(fullName)}/api/json`,
      {
        tree:
          `_class,buildable,${PARAMS_TREE},allBuilds[number,timestamp,` +
          `actions[causes[_class],blockedDurationMillis,buildableDurationMillis,waitingDurationMillis]]{0,${count}}`,
      },
      `job '${fullName}'`,
    );
  }

  /** The raw `TimerTrigger` spec from config.xml, or null when the job has no timer. */
  async getTimerSpec(fullName: string): Promise<string | null> {
    return parseTimerSpec(await this.getConfigXml(fullName));
  }

  /** Timer spec and agent label from the job's config.xml. */
  async getJobConfig(fullName: string): Promise<JobRunConfig> {
    return parseJobConfig(await this.getConfigXml(fullName));
  }

  /** A job's or folder's config.xml as Jenkins stores it; NotFoundError when there is none. */
  async readConfigXml(fullName: string): Promise<string> {
    return this.getConfigXml(fullName);
  }

  /** Whether an item (job or folder) exists, without reading it. */
  async itemExists(fullName: string): Promise<boolean> {
    try {
      await this.getJson(
        `${jobPath(fullName)}/api/json`,
        { tree: 'name' },
        `item '${fullName}'`,
      );
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  /**
   * Creates an item from its config.xml (`[/job/F]/createItem?name=`).
   * Jenkins refuses an existing name with a 400 (JenkinsRefusedError).
   */
  async createItem(
    folder: string,
    name: string,
    configXml: string,
  ): Promise<void> {
    await this.post(
      `${jobPath(folder)}/createItem?${new URLSearchParams({ name })}`,
      configXml,
      `creation of '${folder ? `${folder}/` : ''}${name}'`,
      'application/xml',
    );
  }

  /** Replaces an item's config.xml (`POST …/config.xml`); its builds stay. */
  async updateConfigXml(fullName: string, configXml: string): Promise<void> {
    await this.post(
      `${jobPath(fullName)}/config.xml`,
      configXml,
      `configuration of '${fullName}'`,
      'application/xml',
    );
  }

  private async getConfigXml(fullName: string): Promise<string> {
    const res = await this.request<string>({
      method: 'GET',
      url: `${jobPath(fullName)}/config.xml`,
      what: `config of job '${fullName}'`,
      responseType: 'text',
    });
    return String(res.data);
  }

  /**
   * Streams a console log from byte `start` (Jenkins' progressiveText), passing
   * `X-Text-Size`/`X-More-Data` through. The body is never buffered here.
   */
  async streamLog(
    fullName: string,
    number: number,
    start: number,
  ): Promise<LogChunk> {
    const res = await this.request<Readable>({
      method: 'GET',
      url: `${jobPath(fullName)}/${number}/logText/progressiveText`,
      params: { start },
      what: `log of build '${fullName}' #${number}`,
      responseType: 'stream',
    });
    return {
      stream: res.data,
      textSize: headerValue(res.headers['x-text-size']),
      moreData: headerValue(res.headers['x-more-data']),
    };
  }

  /**
   * Queues a build (`buildWithParameters` when parameters are given, `build`
   * otherwise) and returns the queue item id from `Location`. Never retried:
   * a retry could start a second build.
   */
  async triggerBuild(
    fullName: string,
    parameters: BuildParameters | null,
  ): Promise<number> {
    const url = `${jobPath(fullName)}/${
      parameters ? 'buildWithParameters' : 'build'
    }`;
    const body = new URLSearchParams(parameters ?? {}).toString();
    const res = await this.post(url, body, `build of job '${fullName}'`);
    const location = headerValue(res.headers.location);
    const match = location && /\/queue\/item\/(\d+)\/?$/.exec(location);
    if (!match) {
      throw new JenkinsRefusedError(
        `Jenkins '${this.name}' at ${
          this.baseUrl
        } accepted the build of '${fullName}' (HTTP ${
          res.status
        }) but returned no queue item (Location: ${location ?? 'none'})`,
      );
    }
    return Number(match[1]);
  }

  /** A job's parameter definitions with descriptions, choices and defaults (passwords come without). */
  async getJobParameters(fullName: string): Promise<RawJob> {
    return this.getJson<RawJob>(
      `${jobPath(fullName)}/api/json`,
      {
        tree:
          '_class,name,fullName,url,buildable,color,' +
          'property[parameterDefinitions[_class,name,type,description,choices,defaultParameterValue[_class,name,value]]]',
      },
      `job '${fullName}'`,
    );
  }

  /**
   * Asks Jenkins to end a running build: `stop` (any build), then for
   * pipelines `term` and `kill`, Jenkins' own escalation. Never retried.
   */
  async stopBuild(
    fullName: string,
    number: number,
    mode: 'stop' | 'term' | 'kill',
  ): Promise<void> {
    await this.post(
      `${jobPath(fullName)}/${number}/${mode}`,
      '',
      `${mode} of build '${fullName}' #${number}`,
    );
  }

  /** A pipeline run's stages (Stage View's `wfapi/describe`); NotFoundError for a freestyle build. */
  async describeRun(fullName: string, number: number): Promise<RawRun> {
    return this.getJson<RawRun>(
      `${jobPath(fullName)}/${number}/wfapi/describe`,
      {},
      `stages of build '${fullName}' #${number}`,
    );
  }

  /** A stage with its step nodes (`execution/node/<id>/wfapi/describe`). */
  async describeStage(
    fullName: string,
    number: number,
    nodeId: string,
  ): Promise<RawStageNode> {
    return this.getJson<RawStageNode>(
      `${jobPath(fullName)}/${number}/execution/node/${encodeURIComponent(
        nodeId,
      )}/wfapi/describe`,
      {},
      `stage ${nodeId} of build '${fullName}' #${number}`,
    );
  }

  /** One flow node's log (`execution/node/<id>/wfapi/log`), HTML-escaped text. */
  async nodeLog(
    fullName: string,
    number: number,
    nodeId: string,
  ): Promise<RawNodeLog> {
    return this.getJson<RawNodeLog>(
      `${jobPath(fullName)}/${number}/execution/node/${encodeURIComponent(
        nodeId,
      )}/wfapi/log`,
      {},
      `log of node ${nodeId} of build '${fullName}' #${number}`,
    );
  }

  /** The `input` steps a run waits at (`wfapi/pendingInputActions`). */
  async pendingInputs(
    fullName: string,
    number: number,
  ): Promise<RawPendingInput[]> {
    return this.getJson<RawPendingInput[]>(
      `${jobPath(fullName)}/${number}/wfapi/pendingInputActions`,
      {},
      `pending inputs of build '${fullName}' #${number}`,
    );
  }

  /**
   * Answers an `input` step as its form does: `input/<id>/submit` with the
   * parameters in `json` and `proceed` (without parameters
   * `input/<id>/proceedEmpty`), or `input/<id>/abort`. Never retried.
   */
  async answerInput(
    fullName: string,
    number: number,
    inputId: string,
    answer:
      | {
          action: 'proceed';
          parameters: Array<{ name: string; value: string | boolean }>;
        }
      | { action: 'abort' },
  ): Promise<void> {
    const base = `${jobPath(fullName)}/${number}/input/${encodeURIComponent(
      inputId,
    )}`;
    const what = `${answer.action} of input '${inputId}' of build '${fullName}' #${number}`;
    if (answer.action === 'abort') {
      await this.post(`${base}/abort`, '', what);
    } else if (answer.parameters.length === 0) {
      await this.post(`${base}/proceedEmpty`, '', what);
    } else {
      const body = new URLSearchParams({
        json: JSON.stringify({ parameter: answer.parameters }),
        proceed: 'Proceed',
      }).toString();
      await this.post(`${base}/submit`, body, what);
    }
  }

  /** Cancels a waiting queue item (`/queue/cancelItem`). */
  async cancelQueueItem(id: number): Promise<void> {
    await this.post(
      '/queue/cancelItem',
      new URLSearchParams({ id: String(id) }).toString(),
      `cancel of queue item ${id}`,
    );
  }

  /** Disables (pauses) or enables a job: a disabled job neither builds nor fires its timer. */
  async setJobDisabled(fullName: string, disabled: boolean): Promise<void> {
    await this.post(
      `${jobPath(fullName)}/${disabled ? 'disable' : 'enable'}`,
      '',
      `${disabled ? 'disable' : 'enable'} of job '${fullName}'`,
    );
  }

  private async post(
    url: string,
    body: string,
    what: string,
    contentType = 'application/x-www-form-urlencoded',
  ): Promise<AxiosResponse> {
    const send = () =>
      this.request({
        method: 'POST',
        url,
        data: body,
        what,
        headers: {
          'Content-Type': contentType,
          ...(this.crumb
            ? {
                [this.crumb.field]: this.crumb.value,
                ...(this.crumb.cookie ? { Cookie: this.crumb.cookie } : {}),
              }
            : {}),
        },
        onStatus: r =>
          isCrumbRejection(r) && this.config.crumb ? 'crumb' : undefined,
      });
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof CrumbRejected)) throw error;
    }
    // API-token auth needs no crumb, so one is only fetched when Jenkins asks.
    await this.refreshCrumb();
    try {
      return await send();
    } catch (error) {
      if (error instanceof CrumbRejected) {
        throw new JenkinsRefusedError(
          `Jenkins '${this.name}' at ${this.baseUrl} rejected the ${what} even with a fresh CSRF crumb (No valid crumb)`,
        );
      }
      throw error;
    }
  }

  private async refreshCrumb() {
    const res = await this.request<RawCrumb>({
      method: 'GET',
      url: '/crumbIssuer/api/json',
      what: 'CSRF crumb',
    });
    if (!res.data?.crumb || !res.data.crumbRequestField) {
      throw new JenkinsRefusedError(
        `Jenkins '${this.name}' at ${this.baseUrl} returned no CSRF crumb`,
      );
    }
    // Crumbs are bound to the web session on current Jenkins: keep its cookie.
    const setCookie = res.headers['set-cookie'];
    const cookie = Array.isArray(setCookie)
      ? setCookie.map(c => c.split(';')[0]).join('; ')
      : undefined;
    this.crumb = {
      field: res.data.crumbRequestField,
      value: res.data.crumb,
      cookie: cookie || undefined,
    };
    this.logger.debug('Fetched Jenkins CSRF crumb');
  }

  private async getJson<T>(
    url: string,
    params: Record<string, unknown>,
    what: string,
  ): Promise<T> {
    const res = await this.request<T>({ method: 'GET', url, params, what });
    return res.data;
  }

  /**
   * The one way out: timeouts on every call, retries with backoff for reads
   * only, and Jenkins failures mapped to errors that name this controller.
   */
  private async request<T = unknown>(options: {
    method: Method;
    url: string;
    what: string;
    params?: Record<string, unknown>;
    data?: string;
    headers?: Record<string, string>;
    responseType?: 'json' | 'text' | 'stream';
    onStatus?: (res: AxiosResponse) => 'crumb' | undefined;
  }): Promise<AxiosResponse<T>> {
    const idempotent = options.method === 'GET';
    const attempts = idempotent ? 1 + this.config.readRetries : 1;
    let lastError: Error = new Error('no attempt');
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        await sleep(200 * 2 ** (attempt - 1) + Math.floor(Math.random() * 100));
      }
      let res: AxiosResponse<T>;
      try {
        res = await this.http.request<T>({
          method: options.method,
          url: options.url,
          params: options.params,
          data: options.data,
          headers: options.headers,
          responseType: options.responseType ?? 'json',
          // A redirected POST would not be the POST we meant to send.
          maxRedirects: idempotent ? 5 : 0,
        });
      } catch (error) {
        lastError = this.unreachable(error, options.what);
        this.logger.warn(`Jenkins request failed: ${lastError.message}`, {
          attempt: attempt + 1,
        });
        continue;
      }
      if (
        idempotent &&
        res.status < 300 &&
        (options.responseType ?? 'json') === 'json' &&
        typeof res.data === 'string'
      ) {
        // axios hands back the text when it is not JSON: a truncated answer,
        // or an HTML page (a proxy's, a login form) with a 200.
        lastError = new ServiceUnavailableError(
          `Jenkins '${this.name}' at ${this.baseUrl} sent invalid JSON for ${
            options.what
          } (HTTP ${res.status}, ${
            headerValue(res.headers['content-type']) ?? 'no content type'
          }, ${String(res.data).length} characters)`,
        );
        this.logger.warn(`Jenkins request failed: ${lastError.message}`, {
          attempt: attempt + 1,
        });
        continue;
      }
      if (res.status < 300 || (!idempotent && res.status < 400)) return res;
      if (options.onStatus?.(res) === 'crumb') {
        discard(res);
        throw new CrumbRejected();
      }
      const message = await responseReason(res);
      lastError = this.mapStatus(res.status, message, options.what);
      if (NO_RETRY.has(res.status) || res.status < 500) break;
      this.logger.warn(`Jenkins request failed: ${lastError.message}`, {
        attempt: attempt + 1,
      });
    }
    throw lastError;
  }

  private unreachable(error: unknown, what: string): Error {
    const e = error as AxiosError;
    const reason =
      e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT'
        ? `no answer within ${this.config.timeoutMs} ms`
        : e.code ?? e.message ?? String(error);
    return new ServiceUnavailableError(
      `Jenkins '${this.name}' at ${this.baseUrl} is unreachable (reading ${what}): ${reason}`,
    );
  }

  private mapStatus(status: number, reason: string, what: string): Error {
    const suffix = reason ? `: ${reason}` : '';
    if (status === 404) {
      return new NotFoundError(`Jenkins '${this.name}' has no ${what}`);
    }
    if (status === 401 || status === 403) {
      return new JenkinsRefusedError(
        `Jenkins '${this.name}' at ${this.baseUrl} refused the portal's service account for ${what} (HTTP ${status}); check batchJobs.jenkins '${this.name}' username/apiToken and that user's Jenkins permissions${suffix}`,
      );
    }
    if (status === 409) {
      return new ConflictError(
        `Jenkins '${this.name}' refused ${what}${suffix}`,
      );
    }
    if (status >= 500) {
      return new ServiceUnavailableError(
        `Jenkins '${this.name}' at ${this.baseUrl} failed on ${what} (HTTP ${status})${suffix}`,
      );
    }
    return new JenkinsRefusedError(
      `Jenkins '${this.name}' refused ${what} (HTTP ${status})${suffix}`,
    );
  }
}

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? String(value[0]) : String(value);
}

function discard(res: AxiosResponse) {
  if (res.data instanceof Readable) res.data.destroy();
}

function isCrumbRejection(res: AxiosResponse): boolean {
  if (res.status !== 403) return false;
  const data = res.data;
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? '');
  return (
    /No valid crumb/i.test(text) || /No valid crumb/i.test(res.statusText ?? '')
  );
}

/** A short human reason from a Jenkins error page (HTML or text), never the whole page. */
async function responseReason(res: AxiosResponse): Promise<string> {
  let text: string;
  if (res.data instanceof Readable) {
    text = await readSome(res.data, 4096);
  } else if (typeof res.data === 'string') {
    text = res.data;
  } else if (res.data && typeof res.data === 'object') {
    text = JSON.stringify(res.data);
  } else {
    text = '';
  }
  const header = headerValue(res.headers['x-error']);
  if (header) return header;
  const pre =
    /<p>([\s\S]*?)<\/p>/i.exec(text) ?? /<h2>([\s\S]*?)<\/h2>/i.exec(text);
  const plain = (pre ? pre[1] : text)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain) return plain.slice(0, 300);
  return res.statusText ?? '';
}

function readSome(stream: Readable, limit: number): Promise<string> {
  return new Promise(resolve => {
    let text = '';
    const done = () => {
      stream.destroy();
      resolve(text);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length >= limit) done();
    });
    stream.on('end', done);
    stream.on('error', done);
  });
}
