import type {
  Build,
  Cause,
  Folder,
  Item,
  Job,
  Node,
  ParamDefinition,
  ParamValue,
  QueueItem,
  Result,
  User,
} from '../world/model';
import type { World } from '../world/world';
import { Bean, LazyList, RawJson, Value, bean } from './exported';

/** Java class names, as `_class` shows them. */
const CLASS = {
  hudson: 'hudson.model.Hudson',
  folder: 'com.cloudbees.hudson.plugins.folder.Folder',
  multibranch: 'org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject',
  pipeline: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
  freestyle: 'hudson.model.FreeStyleProject',
  pipelineRun: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
  freestyleRun: 'hudson.model.FreeStyleBuild',
  placeholder: 'org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$PlaceholderTask',
  placeholderExecutable:
    'org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$PlaceholderTask$PlaceholderExecutable',
} as const;

/** Jenkins keeps at most this many builds in a job's default `builds` list. */
const NEW_BUILDS_LIMIT = 100;

/**
 * Exported views of the world's objects, with the properties, classes and
 * visibilities a current Jenkins LTS gives them. `root` is the controller's
 * URL with a trailing slash.
 */
export class Shapes {
  constructor(private readonly world: World, private readonly root: string) {}

  itemUrl(item: Item): string {
    if (!item.fullName) return this.root;
    return `${this.root}${item.fullName
      .split('/')
      .map(segment => `job/${encodeURIComponent(segment)}/`)
      .join('')}`;
  }

  buildUrl(build: Build): string {
    return `${this.itemUrl(build.job)}${build.number}/`;
  }

  jenkins(): Bean {
    const world = this.world;
    return bean(CLASS.hudson, [
      ['assignedLabels', 1, () => [this.label('built-in')]],
      ['mode', 1, () => 'EXCLUSIVE'],
      ['nodeDescription', 1, () => "the Jenkins controller's built-in node"],
      ['nodeName', 1, () => ''],
      ['numExecutors', 1, () => 0],
      ['description', 1, () => null],
      ['jobs', 1, () => world.root.children.map(child => this.item(child))],
      ['overallLoad', 1, () => new RawJson({})],
      ['primaryView', 1, () => this.allView(world.root)],
      ['quietDownReason', 1, () => null],
      ['quietingDown', 1, () => false],
      ['slaveAgentPort', 1, () => 50000],
      ['unlabeledLoad', 1, () => bean('jenkins.model.UnlabeledLoadStatistics', [])],
      ['url', 1, () => this.root],
      ['useCrumbs', 1, () => true],
      ['useSecurity', 1, () => true],
      ['views', 1, () => [this.allView(world.root)]],
    ]);
  }

  /**
   * A user as `/me/api/json` and `/user/<id>/api/json` export it
   * (hudson.model.User), with the properties a plain current controller
   * gives every user.
   */
  user(user: User): Bean {
    const property = (cls: string, props: Array<[string, number, () => Value]> = []) => bean(cls, props);
    return bean('hudson.model.User', [
      ['absoluteUrl', 1, () => `${this.root}user/${encodeURIComponent(user.id.toLowerCase())}`],
      ['description', 1, () => null],
      ['fullName', 1, () => user.fullName],
      ['id', 1, () => user.id],
      [
        'property',
        1,
        () => [
          property('jenkins.security.ApiTokenProperty'),
          property('com.cloudbees.plugins.credentials.UserCredentialsProvider$UserCredentialsProperty'),
          property('hudson.model.MyViewsProperty'),
          property('org.jenkinsci.plugins.displayurlapi.user.PreferredProviderUserProperty'),
          property('hudson.model.PaneStatusProperties'),
          property('jenkins.security.seed.UserSeedProperty'),
          property('hudson.search.UserSearchProperty', [['insensitiveSearch', 2, () => true]]),
          property('hudson.model.TimeZoneProperty'),
          property('hudson.tasks.Mailer$UserProperty', [['address', 2, () => `${user.id}@sandbox.invalid`]]),
        ],
      ],
    ]);
  }

  item(item: Item): Bean {
    return item.kind === 'folder' ? this.folder(item) : this.job(item);
  }

  private itemProps(item: Item): Array<[string, number, () => Value]> {
    const displayName = (it: Item) => (it.kind === 'folder' ? it.name : it.displayName ?? it.name);
    const path: string[] = [];
    for (let it: Item | null = item; it && it.fullName; it = it.parent) path.unshift(displayName(it));
    const displayPath = path.join(' \u00bb ');
    return [
      ['description', 1, () => item.description],
      ['displayName', 1, () => displayName(item)],
      ['displayNameOrNull', 1, () => (item.kind === 'folder' ? null : item.displayName ?? null)],
      ['fullDisplayName', 1, () => displayPath],
      ['fullName', 1, () => item.fullName],
      ['name', 3, () => item.name],
      ['url', 3, () => this.itemUrl(item)],
    ];
  }

  folder(folder: Folder): Bean {
    return bean(folder.multibranch ? CLASS.multibranch : CLASS.folder, [
      [
        'actions',
        1,
        () => [
          bean(null, []),
          bean(null, []),
          bean('org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction', []),
          bean('com.cloudbees.plugins.credentials.ViewCredentialsAction', []),
        ],
      ],
      ...this.itemProps(folder),
      ['healthReport', 1, () => this.folderHealth(folder)],
      ['jobs', 1, () => folder.children.map(child => this.item(child))],
      ['primaryView', 1, () => this.allView(folder)],
      ['views', 1, () => [this.allView(folder)]],
    ]);
  }

  job(job: Job): Bean {
    const world = this.world;
    const builds = job.builds;
    const newest = (i: number) => this.build(builds[builds.length - 1 - i]);
    const permalink = (find: (b: Build) => boolean) => () => {
      const b = lastWhere(job, find);
      return b ? this.build(b) : null;
    };
    const pipeline = job.kind === 'pipeline';
    const props: Array<[string, number, () => Value]> = [
      ['actions', 1, () => this.jobActions(job)],
      ...this.itemProps(job),
      ['buildable', 1, () => !job.disabled],
      ['builds', 1, () => new LazyList(Math.min(NEW_BUILDS_LIMIT, builds.length), newest)],
      ['color', 2, () => jobColor(job)],
      ['firstBuild', 1, () => (builds.length ? this.build(builds[0]) : null)],
      ['healthReport', 1, () => this.jobHealth(job)],
      ['inQueue', 1, () => world.queueItemOfJob(job) !== undefined],
      ['keepDependencies', 1, () => false],
      ['lastBuild', 1, permalink(() => true)],
      ['lastCompletedBuild', 1, permalink(b => b.result !== null)],
      ['lastFailedBuild', 1, permalink(b => b.result === 'FAILURE')],
      ['lastStableBuild', 1, permalink(b => b.result === 'SUCCESS')],
      ['lastSuccessfulBuild', 1, permalink(b => b.result === 'SUCCESS' || b.result === 'UNSTABLE')],
      ['lastUnstableBuild', 1, permalink(b => b.result === 'UNSTABLE')],
      ['lastUnsuccessfulBuild', 1, permalink(b => b.result !== null && b.result !== 'SUCCESS')],
      ['nextBuildNumber', 1, () => job.nextBuildNumber],
      ['property', 1, () => this.jobProperties(job)],
      [
        'queueItem',
        1,
        () => {
          const item = world.queueItemOfJob(job);
          return item ? this.queueItem(item) : null;
        },
      ],
      ['concurrentBuild', 1, () => job.concurrentBuild],
    ];
    if (pipeline) {
      props.push(['resumeBlocked', 1, () => false]);
    } else {
      props.push(
        ['disabled', 1, () => job.disabled],
        ['downstreamProjects', 1, () => []],
        ['labelExpression', 1, () => job.label],
        ['scm', 1, () => bean('hudson.scm.NullSCM', [])],
        ['upstreamProjects', 1, () => []],
      );
    }
    // Never shown by depth; reachable with tree=allBuilds[…]{M,N}.
    props.push(['allBuilds', -2, () => new LazyList(builds.length, newest)]);
    return bean(pipeline ? CLASS.pipeline : CLASS.freestyle, props);
  }

  private jobActions(job: Job): Value[] {
    const actions: Value[] = [];
    if (job.params.length > 0) actions.push(this.paramsProperty(job));
    actions.push(
      bean(null, []),
      bean(null, []),
      bean('org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction', []),
      bean('com.cloudbees.plugins.credentials.ViewCredentialsAction', []),
    );
    return actions;
  }

  private jobProperties(job: Job): Value[] {
    const props: Value[] = [];
    if (job.kind === 'pipeline' && !job.concurrentBuild) {
      props.push(bean('org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty', []));
    }
    if (job.params.length > 0) props.push(this.paramsProperty(job));
    if (job.kind === 'pipeline' && job.timerSpec) {
      props.push(bean('org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty', []));
    }
    return props;
  }

  private paramsProperty(job: Job): Bean {
    return bean('hudson.model.ParametersDefinitionProperty', [
      ['parameterDefinitions', 2, () => job.params.map(def => this.paramDefinition(def))],
    ]);
  }

  private paramDefinition(def: ParamDefinition): Bean {
    const type = {
      string: 'StringParameterDefinition',
      text: 'TextParameterDefinition',
      boolean: 'BooleanParameterDefinition',
      choice: 'ChoiceParameterDefinition',
      password: 'PasswordParameterDefinition',
    }[def.type];
    const defaultValue = defaultValueOf(def);
    const props: Array<[string, number, () => Value]> = [
      ['defaultParameterValue', 3, () => this.paramValue(defaultValue)],
      ['description', 3, () => def.description],
      ['name', 3, () => def.name],
      ['type', 3, () => type],
    ];
    if (def.type === 'choice') props.push(['choices', 3, () => def.choices]);
    return bean(`hudson.model.${type}`, props);
  }

  paramValue(value: ParamValue): Bean {
    if (value.type === 'password') {
      // Jenkins never exports a password's value.
      return bean('hudson.model.PasswordParameterValue', [['name', 4, () => value.name]]);
    }
    const valueClass = {
      boolean: 'hudson.model.BooleanParameterValue',
      text: 'hudson.model.TextParameterValue',
      string: 'hudson.model.StringParameterValue',
    }[value.type];
    return bean(
      valueClass,
      [
        ['name', 4, () => value.name],
        ['value', 4, () => value.value],
      ],
    );
  }

  private cause(cause: Cause): Bean {
    switch (cause.kind) {
      case 'timer':
        return bean('hudson.triggers.TimerTrigger$TimerTriggerCause', [
          ['shortDescription', 3, () => 'Started by timer'],
        ]);
      case 'user':
        return bean('hudson.model.Cause$UserIdCause', [
          ['shortDescription', 3, () => `Started by user ${cause.userName}`],
          ['userId', 3, () => cause.userId],
          ['userName', 3, () => cause.userName],
        ]);
      case 'remote':
        return bean('hudson.model.Cause$RemoteCause', [
          [
            'shortDescription',
            3,
            () =>
              cause.note
                ? `Started by remote host ${cause.addr} with note: ${cause.note}`
                : `Started by remote host ${cause.addr}`,
          ],
          ['addr', 3, () => cause.addr],
          ['note', 3, () => cause.note],
        ]);
      default:
        return bean('hudson.model.Cause$UpstreamCause', [
          [
            'shortDescription',
            3,
            () => `Started by upstream project "${cause.project}" build number ${cause.build}`,
          ],
          ['upstreamBuild', 3, () => cause.build],
          ['upstreamProject', 3, () => cause.project],
          ['upstreamUrl', 3, () => cause.url],
        ]);
    }
  }

  private causeAction(causes: Cause[]): Bean {
    return bean('hudson.model.CauseAction', [['causes', 2, () => causes.map(c => this.cause(c))]]);
  }

  private paramsAction(params: ParamValue[]): Bean {
    return bean('hudson.model.ParametersAction', [
      ['parameters', 2, () => params.map(p => this.paramValue(p))],
    ]);
  }

  /** Actions of a build or queue item: parameters and causes, in the order they were given. */
  private triggerActions(causes: Cause[], params: ParamValue[] | null): Bean[] {
    const causeAction = this.causeAction(causes);
    if (!params) return [causeAction];
    // Timers add the default parameters after the cause; HTTP triggers send them first.
    return causes[0]?.kind === 'timer'
      ? [causeAction, this.paramsAction(params)]
      : [this.paramsAction(params), causeAction];
  }

  build(build: Build): Bean {
    const job = build.job;
    const pipeline = job.kind === 'pipeline';
    const building = build.result === null;
    const props: Array<[string, number, () => Value]> = [
      ['actions', 1, () => this.buildActions(build)],
      ['artifacts', 1, () => []],
      ['building', 1, () => building],
      ['description', 1, () => null],
      ['displayName', 1, () => `#${build.number}`],
      ['duration', 1, () => (build.completedAt === null ? 0 : build.completedAt - build.timestamp)],
      ['estimatedDuration', 1, () => estimatedDuration(job)],
      ['executor', 1, () => (building ? this.executor(build, pipeline ? 'oneOff' : 'regular', 0) : null)],
      ['fullDisplayName', 1, () => `${job.fullName.split('/').join(' \u00bb ')} #${build.number}`],
      ['id', 1, () => String(build.number)],
    ];
    if (!pipeline) props.push(['inProgress', 1, () => building]);
    props.push(
      ['keepLog', 1, () => false],
      ['number', 2, () => build.number],
      ['queueId', 1, () => build.queueId],
      ['result', 1, () => build.result],
      ['timestamp', 1, () => build.timestamp],
      ['url', 2, () => this.buildUrl(build)],
    );
    if (pipeline) {
      props.push(
        ['changeSets', 1, () => []],
        ['culprits', 1, () => []],
        ['inProgress', 1, () => building],
        ['nextBuild', 1, () => this.neighbour(build, 1)],
        ['previousBuild', 1, () => this.neighbour(build, -1)],
      );
    } else {
      props.push(
        ['builtOn', 1, () => build.builtOn ?? ''],
        ['changeSet', 1, () => bean('hudson.scm.EmptyChangeLogSet', [['items', 1, () => []], ['kind', 1, () => null]])],
        ['culprits', 1, () => []],
      );
    }
    return bean(pipeline ? CLASS.pipelineRun : CLASS.freestyleRun, props);
  }

  private neighbour(build: Build, step: 1 | -1): Bean | null {
    const builds = build.job.builds;
    // Builds are ascending by number: find this one by bisection, not by scanning.
    let lo = 0;
    let hi = builds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (builds[mid].number < build.number) lo = mid + 1;
      else hi = mid;
    }
    const other = builds[lo + step];
    return other ? this.build(other) : null;
  }

  private buildActions(build: Build): Value[] {
    const actions: Value[] = [...this.triggerActions(build.causes, build.params)];
    actions.push(bean('jenkins.metrics.impl.TimeInQueueAction', [
      ['blockedDurationMillis', 1, () => 0],
      ['buildableDurationMillis', 1, () => Math.max(0, build.timestamp - build.queuedAt)],
      ['waitingDurationMillis', 1, () => 0],
    ]));
    actions.push(bean(null, []));
    if (build.job.kind === 'pipeline') {
      actions.push(
        bean('org.jenkinsci.plugins.workflow.libs.LibrariesAction', []),
        bean(null, []),
        bean('org.jenkinsci.plugins.workflow.job.views.FlowGraphAction', []),
        bean(null, []),
        bean(null, []),
      );
    }
    if (build.result === 'ABORTED') actions.push(bean('jenkins.model.InterruptedBuildAction', []));
    actions.push(bean('org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction', []));
    return actions;
  }

  private executor(build: Build | null, kind: 'oneOff' | 'regular', number: number): Bean {
    const now = this.world.now();
    return bean(kind === 'oneOff' ? 'hudson.model.OneOffExecutor' : 'hudson.model.Executor', [
      [
        'currentExecutable',
        1,
        () => {
          if (!build) return null;
          if (build.job.kind === 'pipeline' && kind === 'regular') {
            // What a pipeline's `node` block runs on an agent executor.
            return bean(CLASS.placeholderExecutable, []);
          }
          return this.build(build);
        },
      ],
      ['idle', 1, () => build === null],
      ['likelyStuck', 1, () => false],
      ['number', 1, () => number],
      [
        'progress',
        1,
        () => {
          const estimate = build ? estimatedDuration(build.job) : -1;
          if (!build || estimate <= 0) return -1;
          return Math.min(99, Math.floor(((now - build.timestamp) * 100) / estimate));
        },
      ],
    ]);
  }

  queue(): Bean {
    return bean('hudson.model.Queue', [
      ['discoverableItems', 1, () => []],
      ['items', 1, () => this.world.queuedItems().map(item => this.queueItem(item)), { inline: true }],
    ]);
  }

  queueItem(item: QueueItem): Bean {
    const world = this.world;
    const now = world.now();
    const isJob = item.task.kind === 'job';
    const label = item.task.kind === 'job' ? item.task.job.label : item.task.build.job.label;
    const cls = {
      waiting: 'hudson.model.Queue$WaitingItem',
      blocked: 'hudson.model.Queue$BlockedItem',
      buildable: 'hudson.model.Queue$BuildableItem',
      left: 'hudson.model.Queue$LeftItem',
    }[item.state];
    const props: Array<[string, number, () => Value]> = [
      ['actions', 1, () => (isJob ? this.triggerActions(item.causes, item.params) : [])],
      ['blocked', 2, () => item.state === 'blocked'],
      ['buildable', 2, () => item.state === 'buildable'],
      ['id', 2, () => item.id],
      ['inQueueSince', 2, () => item.inQueueSince],
      ['params', 2, () => paramsText(item.params)],
      ['stuck', 2, () => item.state === 'buildable' && isStuck(world, item, label, now)],
      [
        'task',
        2,
        () => (item.task.kind === 'job' ? this.job(item.task.job) : bean(CLASS.placeholder, [])),
      ],
      ['url', 2, () => `queue/item/${item.id}/`],
      ['why', 2, () => why(world, item, label, now)],
    ];
    switch (item.state) {
      case 'waiting':
        props.push(['timestamp', 2, () => item.buildableAt]);
        break;
      case 'blocked':
        props.push(['buildableStartMilliseconds', 2, () => item.stateSince]);
        break;
      case 'buildable':
        props.push(['buildableStartMilliseconds', 2, () => item.stateSince], ['pending', 2, () => false]);
        break;
      default:
        props.push(
          ['cancelled', 2, () => item.cancelled],
          ['executable', 2, () => (item.executable ? this.build(item.executable) : null)],
        );
    }
    return bean(cls, props);
  }

  computers(): Bean {
    const nodes = this.world.nodes;
    return bean('hudson.model.ComputerSet', [
      ['busyExecutors', 1, () => sum(nodes, n => (n.offline ? 0 : n.executors.filter(Boolean).length))],
      ['computer', 1, () => nodes.map(n => this.computer(n)), { inline: true }],
      ['displayName', 1, () => 'Nodes'],
      ['totalExecutors', 1, () => sum(nodes, n => (n.offline ? 0 : n.numExecutors))],
    ]);
  }

  computer(node: Node): Bean {
    const world = this.world;
    const props: Array<[string, number, () => Value]> = [
      ['actions', 1, () => []],
      [
        'assignedLabels',
        1,
        () => (node.builtIn ? node.labels : [...node.labels, node.name]).map(l => this.label(l)),
      ],
      ['description', 1, () => node.description],
      ['displayName', 1, () => (node.builtIn ? 'Built-In Node' : node.name)],
      ['executors', 1, () => node.executors.map((b, i) => this.executor(b, 'regular', i))],
      ['icon', 1, () => (node.offline ? 'symbol-computer-offline' : 'symbol-computer')],
      ['iconClassName', 1, () => (node.offline ? 'symbol-computer-offline' : 'symbol-computer')],
      ['idle', 1, () => node.executors.every(b => b === null) && (!node.builtIn || runningPipelines(world).length === 0)],
      ['jnlpAgent', 1, () => false],
      ['launchSupported', 1, () => true],
      ['loadStatistics', 1, () => bean('hudson.model.Label$1', [])],
      ['manualLaunchAllowed', 1, () => true],
      ['monitorData', 1, () => new RawJson(monitorData(node, world.now()))],
      ['numExecutors', 1, () => node.numExecutors],
      ['offline', 1, () => node.offline],
      ['offlineCause', 1, () => offlineCause(node)],
      ['offlineCauseReason', 1, () => node.offlineCause?.message ?? ''],
      [
        'oneOffExecutors',
        1,
        () => (node.builtIn ? runningPipelines(world).map((b, i) => this.executor(b, 'oneOff', i)) : []),
      ],
      ['temporarilyOffline', 1, () => node.temporarilyOffline],
    ];
    if (!node.builtIn) props.push(['absoluteRemotePath', 1, () => (node.offline ? null : '/home/jenkins')]);
    return bean(node.builtIn ? 'hudson.model.Hudson$MasterComputer' : 'hudson.slaves.SlaveComputer', props);
  }

  private label(name: string): Bean {
    return bean('hudson.model.labels.LabelAtom', [['name', 2, () => name]]);
  }

  private allView(owner: Folder): Bean {
    return bean('hudson.model.AllView', [
      ['name', 2, () => (owner.parent ? 'All' : 'all')],
      ['url', 2, () => this.itemUrl(owner)],
    ]);
  }

  private jobHealth(job: Job): Bean[] {
    const recent: Build[] = [];
    for (let i = job.builds.length - 1; i >= 0 && recent.length < 5; i--) {
      const b = job.builds[i];
      if (b.result !== null && b.result !== 'ABORTED' && b.result !== 'NOT_BUILT') recent.push(b);
    }
    if (recent.length === 0) return [];
    const failed = recent.filter(b => b.result === 'FAILURE').length;
    const score = Math.round(100 - (failed * 100) / recent.length);
    let description = `Build stability: ${failed} out of the last ${recent.length} builds failed.`;
    if (failed === 0) description = 'Build stability: No recent builds failed.';
    else if (failed === recent.length) description = 'Build stability: All recent builds failed.';
    return [healthReport(description, score)];
  }

  private folderHealth(folder: Folder): Bean[] {
    // WorstChildHealthMetric: the worst report of any job below.
    let worst: { job: Job; report: Bean; score: number } | undefined;
    const visit = (f: Folder) => {
      for (const child of f.children) {
        if (child.kind === 'folder') visit(child);
        else {
          const [report] = this.jobHealth(child);
          if (!report) continue;
          const score = healthScore(report);
          if (!worst || score < worst.score) worst = { job: child, report, score };
        }
      }
    };
    visit(folder);
    if (!worst) return [];
    const relative = worst.job.fullName.slice(folder.fullName.length + 1).split('/').join(' \u00bb ');
    const text = (worst.report.props.find(p => p.name === 'description')!.get() as string);
    return [healthReport(`Worst health: ${relative}: ${text}`, worst.score)];
  }
}

function defaultValueOf(def: ParamDefinition): ParamValue {
  switch (def.type) {
    case 'choice':
      return { type: 'string', name: def.name, value: def.choices[0] };
    case 'boolean':
      return { type: 'boolean', name: def.name, value: def.defaultValue };
    default:
      return { type: def.type, name: def.name, value: def.defaultValue };
  }
}

const HEALTH_BUCKETS: Array<[number, string]> = [
  [80, '80plus'],
  [60, '60to79'],
  [40, '40to59'],
  [20, '20to39'],
];

function healthReport(description: string, score: number): Bean {
  const bucket = HEALTH_BUCKETS.find(([min]) => score > min)?.[1] ?? '00to19';
  return bean('hudson.model.HealthReport', [
    ['description', 2, () => description],
    ['iconClassName', 2, () => `icon-health-${bucket}`],
    ['iconUrl', 2, () => `health-${bucket}.png`],
    ['score', 2, () => score],
  ]);
}

function healthScore(report: Bean): number {
  return report.props.find(p => p.name === 'score')!.get() as number;
}

export function lastWhere(job: Job, test: (b: Build) => boolean): Build | undefined {
  for (let i = job.builds.length - 1; i >= 0; i--) {
    if (test(job.builds[i])) return job.builds[i];
  }
  return undefined;
}

const RESULT_COLOR: Record<Result, string> = {
  SUCCESS: 'blue',
  UNSTABLE: 'yellow',
  FAILURE: 'red',
  ABORTED: 'aborted',
  NOT_BUILT: 'notbuilt',
};

/** Job.getIconColor: the last build's colour, animated while a build runs. */
export function jobColor(job: Job): string {
  if (job.disabled) {
    const running = job.builds.length > 0 && job.builds[job.builds.length - 1].result === null;
    return running ? 'disabled_anime' : 'disabled';
  }
  const last = job.builds[job.builds.length - 1];
  if (!last) return 'notbuilt';
  const completed = lastWhere(job, b => b.result !== null);
  const base = completed ? RESULT_COLOR[completed.result!] : 'notbuilt';
  return last.result === null ? `${base}_anime` : base;
}

/** Job.getEstimatedDuration: the mean of the last three successful builds, else of failed ones. */
export function estimatedDuration(job: Job): number {
  const good: number[] = [];
  const fallback: number[] = [];
  for (let i = job.builds.length - 1, seen = 0; i >= 0 && good.length < 3 && seen < 50; i--, seen++) {
    const b = job.builds[i];
    if (b.completedAt === null) continue;
    const duration = b.completedAt - b.timestamp;
    if (b.result === 'SUCCESS' || b.result === 'UNSTABLE') good.push(duration);
    else if (b.result === 'FAILURE' && fallback.length < 3) fallback.push(duration);
  }
  const candidates = [...good, ...fallback].slice(0, 3);
  if (candidates.length === 0) return -1;
  return Math.round(candidates.reduce((a, b) => a + b, 0) / candidates.length);
}

function paramsText(params: ParamValue[] | null): string {
  if (!params) return '';
  return params
    .map(p => (p.type === 'password' ? `\n${p.name}=****` : `\n${p.name}=${p.value}`))
    .join('');
}

/** Util.getTimeSpanString, as Jenkins writes durations in messages. */
export function timeSpan(ms: number): string {
  const days = Math.floor(ms / 86400000);
  const hours = Math.floor(ms / 3600000) % 24;
  const minutes = Math.floor(ms / 60000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'} ${hours} hr`;
  if (hours > 0) return `${hours} hr ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds} sec`;
  if (seconds >= 10) return `${seconds} sec`;
  if (seconds >= 1) return `${(ms / 1000).toFixed(1)} sec`;
  return `${ms} ms`;
}

function why(world: World, item: QueueItem, label: string, now: number): string | null {
  switch (item.state) {
    case 'waiting':
      return `In the quiet period. Expires in ${timeSpan(Math.max(0, item.buildableAt - now))}`;
    case 'blocked': {
      const job = (item.task as { job: Job }).job;
      const running = world.isBlocked(job);
      if (!running) return null;
      const estimate = estimatedDuration(job);
      const eta = estimate > 0 ? ` (ETA: ${timeSpan(Math.max(0, running.timestamp + estimate - now))})` : '';
      return `Build #${running.number} is already in progress${eta}`;
    }
    case 'buildable': {
      const nodes = world.isWithheld(label) ? [] : world.nodes.filter(n => n.labels.includes(label));
      if (nodes.length === 0) return `There are no nodes with the label \u2018${label}\u2019`;
      if (nodes.every(n => n.offline)) return `All nodes of label \u2018${label}\u2019 are offline`;
      return `Waiting for next available executor on \u2018${label}\u2019`;
    }
    default:
      return null;
  }
}

/** BuildableItem.isStuck: its label is offline, or it waited ten times the expected run. */
function isStuck(world: World, item: QueueItem, label: string, now: number): boolean {
  const nodes = world.nodes.filter(n => n.labels.includes(label));
  if (nodes.length > 0 && nodes.every(n => n.offline)) return true;
  const job = item.task.kind === 'job' ? item.task.job : item.task.build.job;
  const estimate = estimatedDuration(job);
  const waited = now - item.stateSince;
  return estimate >= 0 ? waited > Math.max(estimate, 60000) * 10 : waited > 24 * 3600000;
}

function runningPipelines(world: World): Build[] {
  const out: Build[] = [];
  for (const job of world.jobs()) {
    if (job.kind !== 'pipeline') continue;
    for (let i = job.builds.length - 1; i >= 0 && i >= job.builds.length - 3; i--) {
      if (job.builds[i].result === null) out.push(job.builds[i]);
    }
  }
  return out;
}

function offlineCause(node: Node): Value {
  const cause = node.offlineCause;
  if (!cause) return null;
  if (cause.kind === 'user') {
    return bean('hudson.slaves.OfflineCause$UserCause', [
      ['description', 1, () => `Disconnected by ${cause.userId} : ${cause.message}`],
      ['timestamp', 1, () => cause.timestamp],
    ]);
  }
  return bean('hudson.slaves.OfflineCause$ChannelTermination', [
    ['description', 1, () => cause.message],
    ['timestamp', 1, () => cause.timestamp],
  ]);
}

function monitorData(node: Node, now: number): Record<string, unknown> {
  const stamp = now - (now % 60000);
  if (node.offline) {
    return {
      'hudson.node_monitors.SwapSpaceMonitor': null,
      'hudson.node_monitors.TemporarySpaceMonitor': null,
      'hudson.node_monitors.DiskSpaceMonitor': null,
      'hudson.node_monitors.ArchitectureMonitor': null,
      'hudson.node_monitors.ResponseTimeMonitor': {
        _class: 'hudson.node_monitors.ResponseTimeMonitor$Data',
        timestamp: stamp,
        average: 5000,
      },
      'hudson.node_monitors.ClockMonitor': null,
    };
  }
  const m = node.monitor;
  const home = node.builtIn ? '/var/jenkins_home' : '/home/jenkins';
  return {
    'hudson.node_monitors.SwapSpaceMonitor': {
      _class: 'hudson.node_monitors.SwapSpaceMonitor$MemoryUsage2',
      availablePhysicalMemory: m.freeMemory,
      availableSwapSpace: 0,
      totalPhysicalMemory: m.totalMemory,
      totalSwapSpace: 0,
    },
    'hudson.node_monitors.TemporarySpaceMonitor': {
      _class: 'hudson.node_monitors.DiskSpaceMonitorDescriptor$DiskSpace',
      timestamp: stamp,
      path: '/tmp',
      size: m.tmpFree,
    },
    'hudson.node_monitors.DiskSpaceMonitor': {
      _class: 'hudson.node_monitors.DiskSpaceMonitorDescriptor$DiskSpace',
      timestamp: stamp,
      path: home,
      size: m.diskFree,
    },
    'hudson.node_monitors.ArchitectureMonitor': 'Linux (amd64)',
    'hudson.node_monitors.ResponseTimeMonitor': {
      _class: 'hudson.node_monitors.ResponseTimeMonitor$Data',
      timestamp: stamp,
      average: m.responseMs,
    },
    'hudson.node_monitors.ClockMonitor': { _class: 'hudson.util.ClockDifference', diff: 0 },
  };
}

function sum<T>(items: T[], f: (t: T) => number): number {
  return items.reduce((acc, t) => acc + f(t), 0);
}
