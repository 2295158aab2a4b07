import { Clock, EventQueue } from './clock';
import { BuildLog, createBuildLog } from './logs';
import type {
  Build,
  Cause,
  Folder,
  Item,
  Job,
  Node,
  ParamValue,
  QueueItem,
  Result,
  StopMode,
  User,
} from './model';
import { Random } from './random';
import { inputOf, waitsForInput, workBeforeInput } from './stages';

/** Jenkins' cron: the next times a TimerTrigger spec fires for a job. */
export type NextRuns = (
  spec: string,
  opts: { jobFullName: string; after: Date; count: number; timezone?: string },
) => Date[];

type WorldEvent =
  | { type: 'timer'; job: Job; version: number }
  | { type: 'wake' }
  | { type: 'finish'; build: Build }
  | { type: 'call'; fn: (at: number) => void };

/** Jenkins keeps a left queue item answerable for five minutes. */
const LEFT_ITEM_TTL_MS = 5 * 60 * 1000;
/** Jenkins' default quiet period for builds started over HTTP. */
export const DEFAULT_QUIET_PERIOD_MS = 5000;
/** Timers run in UTC so that the sandbox behaves the same on every machine. */
export const SANDBOX_TIMEZONE = 'UTC';

/**
 * The simulated controller: items, builds, queue, nodes and time. Every change
 * happens through an event at a precise time, so that a manual clock gives
 * exactly the same world for the same seed.
 */
export class World {
  readonly root: Folder = {
    kind: 'folder',
    name: '',
    fullName: '',
    description: null,
    parent: null,
    children: [],
  };
  readonly nodes: Node[] = [];
  readonly users = new Map<string, User>();
  private readonly items = new Map<string, Item>();
  private readonly queue = new Map<number, QueueItem>();
  private readonly events = new EventQueue<WorldEvent>();
  private readonly finishListeners = new Set<(build: Build, at: number) => void>();
  private nextQueueId = 1;
  /**
   * Executors that take work (online, not paused), per label, each time a
   * count changes: tests assert capacity never dropped below a floor.
   */
  readonly executorTimeline: Array<{ at: number; label: string; online: number }> = [];
  private readonly executorsNow = new Map<string, number>();
  /** Bumped when a job's timer is re-armed (config update) so older timer events are ignored. */
  private readonly timerVersions = new WeakMap<Job, number>();
  /** Time up to which events have been applied. */
  private appliedUntil: number;
  /** Windows [start, end) of sandbox time in which the controller is down (a failover, a DR test). */
  private readonly outages: Array<{ start: number; end: number }> = [];
  /** Labels no executor serves (the "no executor for label" fault): their work waits in the queue. */
  private readonly withheldLabels = new Set<string>();

  constructor(
    readonly seed: number,
    readonly clock: Clock,
    private readonly nextRuns: NextRuns,
  ) {
    this.appliedUntil = clock.now();
  }

  // --- building the world -------------------------------------------------

  addFolder(parent: Folder, name: string, description: string | null = null): Folder {
    const folder: Folder = {
      kind: 'folder',
      name,
      fullName: parent.fullName ? `${parent.fullName}/${name}` : name,
      description,
      parent,
      children: [],
    };
    this.attach(parent, folder);
    return folder;
  }

  addJob(job: Job): Job {
    this.attach(job.parent, job);
    return job;
  }

  addNode(node: Node): Node {
    this.nodes.push(node);
    // The built-in node first, then agents by name, as Jenkins lists them.
    this.nodes.sort((a, b) => Number(b.builtIn) - Number(a.builtIn) || a.name.localeCompare(b.name));
    this.recordExecutors(this.clock.now());
    return node;
  }

  /** Executors per label that take work now (online, not temporarily offline). */
  onlineExecutors(label: string): number {
    return this.nodes
      .filter(n => !n.offline && n.labels.includes(label))
      .reduce((sum, n) => sum + n.numExecutors, 0);
  }

  private recordExecutors(at: number): void {
    const labels = new Set([...this.executorsNow.keys(), ...this.nodes.flatMap(n => n.labels)]);
    for (const label of labels) {
      const online = this.onlineExecutors(label);
      if ((this.executorsNow.get(label) ?? 0) === online && this.executorsNow.has(label)) continue;
      this.executorsNow.set(label, online);
      this.executorTimeline.push({ at, label, online });
    }
  }

  addUser(user: User): void {
    this.users.set(user.id, user);
  }

  /** Make queue ids continue after the seeded history. */
  reserveQueueIds(upTo: number): void {
    this.nextQueueId = Math.max(this.nextQueueId, upTo + 1);
  }

  /** After seeding: put running builds on their executors and arm the timers. */
  start(): void {
    const now = this.clock.now();
    for (const job of this.jobs()) {
      for (const build of job.builds) {
        if (build.result !== null) continue;
        const node = this.nodes.find(n => n.name === build.builtOn);
        const slot = node?.executors.indexOf(null) ?? -1;
        if (node && slot >= 0) node.executors[slot] = build;
        if (build.agentAt !== null && Number.isFinite(build.workMs) && !this.stopsAtInput(build)) {
          this.events.push(build.agentAt + build.workMs, { type: 'finish', build });
        }
      }
      this.armTimer(job, now);
    }
  }

  private attach(parent: Folder, item: Item): void {
    parent.children.push(item);
    parent.children.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    this.items.set(item.fullName, item);
  }

  // --- reading ------------------------------------------------------------

  now(): number {
    return this.clock.now();
  }

  item(fullName: string): Item | undefined {
    return this.items.get(fullName);
  }

  *jobs(): Generator<Job> {
    for (const item of this.items.values()) if (item.kind !== 'folder') yield item;
  }

  build(job: Job, number: number): Build | undefined {
    // Numbers are ascending but may have gaps: binary search.
    const builds = job.builds;
    let lo = 0;
    let hi = builds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const n = builds[mid].number;
      if (n === number) return builds[mid];
      if (n < number) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  logOf(build: Build): BuildLog {
    if (!build.log) build.log = createBuildLog(build, this.seed);
    return build.log;
  }

  /** Items waiting in the queue, in the order Jenkins lists them. */
  queuedItems(): QueueItem[] {
    const waiting: QueueItem[] = [];
    const blocked: QueueItem[] = [];
    const buildable: QueueItem[] = [];
    for (const item of this.queue.values()) {
      if (item.state === 'waiting') waiting.push(item);
      else if (item.state === 'blocked') blocked.push(item);
      else if (item.state === 'buildable') buildable.push(item);
    }
    waiting.sort((a, b) => a.buildableAt - b.buildableAt || a.id - b.id);
    return [...waiting, ...blocked, ...buildable.reverse()];
  }

  /** A queue item, including one that left less than five minutes ago. */
  queueItem(id: number): QueueItem | undefined {
    const item = this.queue.get(id);
    if (!item) return undefined;
    if (item.state === 'left' && item.leftAt !== null && this.now() - item.leftAt > LEFT_ITEM_TTL_MS) {
      this.queue.delete(id);
      return undefined;
    }
    return item;
  }

  queueItemOfJob(job: Job): QueueItem | undefined {
    for (const item of this.queue.values()) {
      if (item.state !== 'left' && item.task.kind === 'job' && item.task.job === job) return item;
    }
    return undefined;
  }

  isBlocked(job: Job): Build | undefined {
    if (job.concurrentBuild) return undefined;
    for (let i = job.builds.length - 1; i >= 0 && i >= job.builds.length - 5; i--) {
      if (job.builds[i].result === null) return job.builds[i];
    }
    return undefined;
  }

  /** Whether the controller is down at sandbox time `time` (an outage window covers it). */
  isDown(time: number): boolean {
    return this.outages.some(o => time >= o.start && time < o.end);
  }

  /** Whether a label's executors are withheld by the fault. */
  isWithheld(label: string): boolean {
    return this.withheldLabels.has(label);
  }

  // --- faults -------------------------------------------------------------

  /**
   * A controller outage over [start, end) of sandbox time: timers fire
   * nothing (Jenkins does not fire missed cron runs when it comes back) and
   * the HTTP API refuses. Builds already running go on, as on agents that
   * outlive a controller restart.
   */
  addOutage(start: number, end: number): void {
    if (!(end > start)) throw new Error('An outage must end after it starts');
    this.outages.push({ start, end });
  }

  clearOutages(): void {
    this.outages.splice(0);
  }

  /** The "no executor for label" fault: work on `label` waits until it is lifted. */
  withholdLabel(label: string, withheld: boolean): void {
    this.catchUp();
    if (withheld) this.withheldLabels.add(label);
    else this.withheldLabels.delete(label);
    this.maintain(this.now());
  }

  // --- acting -------------------------------------------------------------

  /**
   * Puts a job in the queue, like Queue.schedule2: an identical pending
   * request (same parameters) is merged into the existing item.
   */
  schedule(
    job: Job,
    causes: Cause[],
    params: ParamValue[] | null,
    quietMs = DEFAULT_QUIET_PERIOD_MS,
  ): { item: QueueItem; created: boolean } {
    this.catchUp();
    const now = this.now();
    const existing = this.queueItemOfJob(job);
    if (existing && sameParams(existing.params, params)) {
      return { item: existing, created: false };
    }
    const item: QueueItem = {
      id: this.nextQueueId++,
      task: { kind: 'job', job },
      causes,
      params,
      inQueueSince: now,
      buildableAt: now + quietMs,
      state: 'waiting',
      stateSince: now,
      cancelled: false,
      executable: null,
      leftAt: null,
    };
    this.queue.set(item.id, item);
    this.events.push(item.buildableAt, { type: 'wake' });
    this.maintain(now);
    return { item, created: true };
  }

  cancelQueueItem(item: QueueItem): boolean {
    if (item.state === 'left') return false;
    item.state = 'left';
    item.cancelled = true;
    item.leftAt = this.now();
    return true;
  }

  /**
   * Aborts a running build, as `POST …/<n>/stop`, `/term` and `/kill` do. A
   * stubborn build ignores the modes it was told to; `kill` always ends it.
   * Returns whether the build has ended.
   */
  stop(build: Build, by: User, mode: StopMode = 'stop'): boolean {
    this.catchUp();
    if (build.result !== null) return true;
    const now = this.now();
    (build.stopRequests ??= []).push({ mode, at: now });
    if (mode === 'stop' && build.ignores) return false;
    if (mode === 'term' && build.ignores === 'term') return false;
    build.result = 'ABORTED';
    build.completedAt = now;
    build.abortedBy = by.fullName;
    build.log = null;
    this.release(build);
    for (const item of this.queue.values()) {
      if (item.state !== 'left' && item.task.kind === 'placeholder' && item.task.build === build) {
        this.queue.delete(item.id);
      }
    }
    this.maintain(now);
    return true;
  }

  /** Makes a running build ignore `stop` (or `stop` and `term`); undefined makes it obedient again. */
  makeStubborn(build: Build, ignores: 'stop' | 'term' | undefined): void {
    build.ignores = ignores;
  }

  /**
   * Disables or enables a job, as `POST …/disable` and `/enable` do
   * (ParameterizedJobMixIn.makeDisabled): disabling also cancels what the
   * job has waiting in the queue. Its timer keeps ticking but starts nothing.
   */
  setDisabled(job: Job, disabled: boolean): void {
    this.catchUp();
    if (job.disabled === disabled) return;
    job.disabled = disabled;
    if (disabled) {
      for (const item of this.queue.values()) {
        if (item.state !== 'left' && item.task.kind === 'job' && item.task.job === job) {
          this.cancelQueueItem(item);
        }
      }
    }
  }

  // --- agents (EC2 bootstrap, /computer routes) ---------------------------

  /**
   * Calls `fn` when a build finishes on its own (not when stopped), with its
   * result set; `fn` may still change the result (the backup job does).
   */
  onBuildFinish(fn: (build: Build, at: number) => void): () => void {
    this.finishListeners.add(fn);
    return () => this.finishListeners.delete(fn);
  }

  /** Runs `fn` at sandbox time `time`, in order with the world's other events (e.g. an agent connecting). */
  at(time: number, fn: (at: number) => void): void {
    this.events.push(time, { type: 'call', fn });
  }

  /** An agent by name (not the built-in node). */
  node(name: string): Node | undefined {
    return this.nodes.find(n => !n.builtIn && n.name === name);
  }

  /** Removes an agent, as `/computer/<n>/doDelete` does. */
  removeNode(node: Node): void {
    const index = this.nodes.indexOf(node);
    if (index >= 0) this.nodes.splice(index, 1);
    this.recordExecutors(this.clock.now());
  }

  /** The agent's channel opened (its JNLP agent connected): it takes work unless a person paused it. */
  connectNode(node: Node, at: number): void {
    node.connected = true;
    node.connectedSince = at;
    if (!node.temporarilyOffline) {
      node.offline = false;
      node.offlineCause = null;
    }
    this.recordExecutors(at);
    this.maintain(at);
  }

  /** The agent's channel closed (its instance is gone): offline with a channel cause, kept. */
  disconnectNode(node: Node, message: string, at: number): void {
    node.connected = false;
    node.offline = true;
    if (!node.temporarilyOffline) node.offlineCause = { kind: 'channel', message, timestamp: at };
    this.recordExecutors(at);
  }

  /** `/computer/<n>/toggleOffline`: a person pauses or resumes an agent. */
  toggleOffline(node: Node, user: User, message: string): void {
    this.catchUp();
    const now = this.now();
    const connected = node.connected ?? !(node.offline && !node.temporarilyOffline);
    if (node.temporarilyOffline) {
      node.temporarilyOffline = false;
      node.offline = !connected;
      if (connected) node.offlineCause = null;
      this.maintain(now);
    } else {
      node.temporarilyOffline = true;
      node.offline = true;
      node.offlineCause = { kind: 'user', userId: user.id, message, timestamp: now };
    }
    this.recordExecutors(now);
  }

  /** Applies every event due up to the clock's time. */
  catchUp(): void {
    this.runUntil(this.clock.now());
  }

  /** Applies every event due up to `time`, each at its own time. */
  runUntil(time: number): void {
    for (;;) {
      const at = this.events.peekTime();
      if (at === undefined || at > time) break;
      const event = this.events.pop()!;
      this.apply(event.at, event.value);
    }
    if (time > this.appliedUntil) this.appliedUntil = time;
  }

  private apply(at: number, event: WorldEvent): void {
    switch (event.type) {
      case 'timer': {
        // A deleted job, or a timer replaced by a config update.
        if (this.items.get(event.job.fullName) !== event.job) break;
        if (event.version !== (this.timerVersions.get(event.job) ?? 0)) break;
        // Jenkins' TimerTrigger asks a disabled job to build, which it refuses;
        // a controller that is down fires nothing.
        if (!event.job.disabled && !this.isDown(at)) {
          this.scheduleAt(at, event.job, [{ kind: 'timer' }], defaultParams(event.job), 0);
        }
        this.armTimer(event.job, at);
        break;
      }
      case 'call':
        event.fn(at);
        break;
      case 'finish': {
        const build = event.build;
        if (build.result === null) {
          build.result = build.plannedResult;
          build.completedAt = at;
          this.release(build);
          for (const listener of this.finishListeners) listener(build, at);
        }
        break;
      }
      default:
        break;
    }
    this.maintain(at);
  }

  /** `schedule` at an event's own time (the clock may already be later). */
  private scheduleAt(at: number, job: Job, causes: Cause[], params: ParamValue[] | null, quietMs: number) {
    const existing = this.queueItemOfJob(job);
    if (existing && sameParams(existing.params, params)) return;
    const item: QueueItem = {
      id: this.nextQueueId++,
      task: { kind: 'job', job },
      causes,
      params,
      inQueueSince: at,
      buildableAt: at + quietMs,
      state: 'waiting',
      stateSince: at,
      cancelled: false,
      executable: null,
      leftAt: null,
    };
    this.queue.set(item.id, item);
    if (quietMs > 0) this.events.push(item.buildableAt, { type: 'wake' });
  }

  private armTimer(job: Job, after: number): void {
    if (!job.timerSpec) return;
    let next: Date | undefined;
    try {
      [next] = this.nextRuns(job.timerSpec, {
        jobFullName: job.fullName,
        after: new Date(after),
        count: 1,
        timezone: SANDBOX_TIMEZONE,
      });
    } catch {
      // Jenkins logs "Failed to parse crontab spec" and the timer never fires.
      return;
    }
    const version = this.timerVersions.get(job) ?? 0;
    if (next) this.events.push(next.getTime(), { type: 'timer', job, version });
  }

  // --- items created over HTTP (createItem, config.xml, doDelete) ---------

  /** Adds a job created from config.xml; its timer is armed at once. */
  createJob(job: Job): Job {
    this.catchUp();
    this.addJob(job);
    this.armTimer(job, this.now());
    return job;
  }

  /**
   * Replaces a job's configuration (AbstractItem.updateByXml): builds stay,
   * the timer is re-armed with the new spec, new work runs on the new label.
   */
  updateJob(job: Job, update: Pick<Job, 'description' | 'params' | 'timerSpec' | 'label' | 'concurrentBuild' | 'disabled' | 'configXml'>): void {
    this.catchUp();
    const wasDisabled = job.disabled;
    Object.assign(job, update);
    job.disabled = wasDisabled;
    this.setDisabled(job, update.disabled);
    this.timerVersions.set(job, (this.timerVersions.get(job) ?? 0) + 1);
    this.armTimer(job, this.now());
    this.maintain(this.now());
  }

  /**
   * Deletes an item and everything under it (AbstractItem.doDelete): queued
   * work is cancelled and running builds are aborted first.
   */
  removeItem(item: Item, by: User): void {
    this.catchUp();
    const remove = (it: Item) => {
      if (it.kind === 'folder') {
        for (const c of [...it.children]) remove(c);
      } else {
        for (const q of this.queue.values()) {
          if (q.state !== 'left' && q.task.kind === 'job' && q.task.job === it) this.cancelQueueItem(q);
        }
        for (const b of it.builds) if (b.result === null) this.stop(b, by, 'kill');
      }
      this.items.delete(it.fullName);
    };
    remove(item);
    const parent = item.parent;
    if (parent) parent.children.splice(parent.children.indexOf(item), 1);
  }

  /** The queue's maintenance pass: quiet periods end, blocks lift, executors are handed out. */
  private maintain(now: number): void {
    for (const item of this.queue.values()) {
      if (item.state === 'left') {
        if (item.leftAt !== null && now - item.leftAt > LEFT_ITEM_TTL_MS) this.queue.delete(item.id);
        continue;
      }
      if (item.task.kind !== 'job') continue;
      const job = item.task.job;
      if (item.state === 'waiting' && item.buildableAt <= now) {
        item.state = this.isBlocked(job) ? 'blocked' : 'buildable';
        item.stateSince = now;
      } else if (item.state === 'blocked' && !this.isBlocked(job)) {
        item.state = 'buildable';
        item.stateSince = now;
      }
    }

    const ready = [...this.queue.values()]
      .filter(i => i.state === 'buildable')
      .sort((a, b) => a.stateSince - b.stateSince || a.id - b.id);
    for (const item of ready) {
      if (item.task.kind === 'job') {
        const job = item.task.job;
        if (this.isBlocked(job)) {
          item.state = 'blocked';
          item.stateSince = now;
          continue;
        }
        if (job.kind === 'pipeline') {
          // A pipeline starts at once on a flyweight executor; its `node`
          // block then waits in the queue for an agent.
          const build = this.startBuild(item, now, null);
          this.requestAgent(build, now);
        } else {
          const slot = this.freeExecutor(job.label);
          if (slot) this.startBuild(item, now, slot);
        }
      } else {
        const build = item.task.build;
        const slot = this.freeExecutor(build.job.label);
        if (slot) {
          item.state = 'left';
          item.leftAt = now;
          item.executable = build;
          this.occupy(build, slot, now);
        }
      }
    }
  }

  private startBuild(item: QueueItem, now: number, slot: { node: Node; index: number } | null): Build {
    const job = (item.task as { job: Job }).job;
    const number = job.nextBuildNumber++;
    const random = Random.derive(this.seed, job.fullName, number);
    const outcome = plannedOutcome(job, random);
    const build: Build = {
      job,
      number,
      queueId: item.id,
      causes: item.causes,
      params: item.params,
      timestamp: now,
      agentAt: null,
      workMs: outcome.workMs,
      plannedResult: outcome.result,
      result: null,
      completedAt: null,
      builtOn: null,
      log: null,
      abortedBy: null,
      bigLog: false,
      queuedAt: item.inQueueSince,
    };
    job.builds.push(build);
    item.state = 'left';
    item.leftAt = now;
    item.executable = build;
    if (slot) this.occupy(build, slot, now);
    return build;
  }

  private requestAgent(build: Build, now: number): void {
    const slot = this.freeExecutor(build.job.label);
    if (slot) {
      this.occupy(build, slot, now);
      return;
    }
    const item: QueueItem = {
      id: this.nextQueueId++,
      task: { kind: 'placeholder', build },
      causes: [],
      params: null,
      inQueueSince: now,
      buildableAt: now,
      state: 'buildable',
      stateSince: now,
      cancelled: false,
      executable: null,
      leftAt: null,
    };
    this.queue.set(item.id, item);
  }

  private occupy(build: Build, slot: { node: Node; index: number }, now: number): void {
    slot.node.executors[slot.index] = build;
    build.builtOn = slot.node.name;
    build.agentAt = now;
    build.log = null;
    // A build with an undecided input step ends only once someone proceeds.
    if (Number.isFinite(build.workMs) && !this.stopsAtInput(build)) {
      this.events.push(now + build.workMs, { type: 'finish', build });
    }
  }

  private stopsAtInput(build: Build): boolean {
    return inputOf(build.job) !== undefined && !build.inputDecision;
  }

  /** Whether the build stands at its input step now. */
  waitsForInput(build: Build): boolean {
    this.catchUp();
    return waitsForInput(build, this.now());
  }

  /**
   * Answers a build's pending input (InputStepExecution.doProceed/doAbort):
   * proceeding runs the rest of the work from now; aborting ends the build
   * ABORTED, "Rejected by" the user.
   */
  answerInput(build: Build, by: User, kind: 'proceed' | 'abort', values: ParamValue[] = []): void {
    this.catchUp();
    const now = this.now();
    build.inputDecision = { kind, by: by.fullName, at: now, values };
    build.log = null;
    if (kind === 'abort') {
      build.result = 'ABORTED';
      build.completedAt = now;
      build.abortedBy = by.fullName;
      this.release(build);
      this.maintain(now);
      return;
    }
    this.events.push(now + build.workMs - workBeforeInput(build), { type: 'finish', build });
  }

  private release(build: Build): void {
    for (const node of this.nodes) {
      const index = node.executors.indexOf(build);
      if (index >= 0) node.executors[index] = null;
    }
  }

  private freeExecutor(label: string): { node: Node; index: number } | undefined {
    for (const node of this.nodes) {
      if (this.withheldLabels.has(label)) return undefined;
      if (node.offline || !node.labels.includes(label) && node.name !== label) continue;
      const index = node.executors.indexOf(null);
      if (index >= 0) return { node, index };
    }
    return undefined;
  }
}

export function defaultParams(job: Job): ParamValue[] | null {
  if (job.params.length === 0) return null;
  return job.params.map((def): ParamValue => {
    switch (def.type) {
      case 'boolean':
        return { type: 'boolean', name: def.name, value: def.defaultValue };
      case 'choice':
        return { type: 'string', name: def.name, value: def.choices[0] };
      case 'password':
        return { type: 'password', name: def.name, value: def.defaultValue };
      case 'text':
        return { type: 'text', name: def.name, value: def.defaultValue };
      default:
        return { type: 'string', name: def.name, value: def.defaultValue };
    }
  });
}

/** How a new build will go: its length and its result, drawn from its own seed. */
export function plannedOutcome(job: Job, random: Random): { workMs: number; result: Result } {
  if (job.profile.worker) return { workMs: Infinity, result: 'SUCCESS' };
  const roll = random.next();
  const mean = job.profile.meanDurationMs;
  if (roll < job.profile.failureRate) {
    return { workMs: random.around(mean * 0.6, 0.4), result: 'FAILURE' };
  }
  if (roll < job.profile.failureRate + 0.03) {
    return { workMs: random.around(mean, 0.2), result: 'UNSTABLE' };
  }
  return { workMs: random.around(mean, 0.3), result: 'SUCCESS' };
}

function sameParams(a: ParamValue[] | null, b: ParamValue[] | null): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((p, i) => p.name === y[i].name && p.value === y[i].value);
}
