import type { Build, ParamDefinition } from '../world/model';
import type { World } from '../world/world';
import { StageRun, inputOf, runStatus, stagesOf, waitsForInput } from '../world/stages';
import type { Shapes } from './shapes';

/*
 * The Pipeline Stage View REST API (pipeline-stage-view's wfapi) over a
 * pipeline build, in the shapes of the captures in
 * shared/jenkins-captures/wfapi-*: `_links` with root-relative hrefs
 * (context path included), times in epoch ms, stage nodes flattened in the
 * run (parallel branches listed after the stage that holds them).
 */

type Json = Record<string, unknown>;

export class StageView {
  private readonly now: number;
  private readonly stages: StageRun[];
  /** The build's path, e.g. `/jenkins/job/DEV/job/x/16/`. */
  private readonly base: string;

  constructor(world: World, shapes: Shapes, private readonly build: Build) {
    world.catchUp();
    this.now = world.now();
    this.stages = stagesOf(build, this.now);
    this.base = new URL(shapes.buildUrl(build)).pathname;
  }

  /** RunExt: `wfapi/describe`. */
  run(): Json {
    const build = this.build;
    const links: Json = { self: { href: `${this.base}wfapi/describe` } };
    if (waitsForInput(build, this.now)) {
      links.pendingInputActions = {
        href: `${this.base}wfapi/pendingInputActions`,
      };
    }
    if (build.result !== null) links.artifacts = { href: `${this.base}wfapi/artifacts` };
    const end = build.completedAt ?? this.now;
    return {
      _links: links,
      id: String(build.number),
      name: `#${build.number}`,
      status: runStatus(build, this.now),
      startTimeMillis: build.timestamp,
      endTimeMillis: end,
      durationMillis: end - build.timestamp,
      queueDurationMillis: Math.max(0, build.timestamp - build.queuedAt),
      pauseDurationMillis: this.stages.reduce((ms, s) => ms + s.pauseDurationMillis, 0),
      stages: this.stages.map(stage => this.stage(stage)),
    };
  }

  private stage(stage: StageRun): Json {
    return {
      _links: {
        self: { href: `${this.base}execution/node/${stage.id}/wfapi/describe` },
      },
      id: stage.id,
      name: stage.name,
      execNode: '',
      status: stage.status,
      startTimeMillis: stage.startTimeMillis,
      durationMillis: stage.durationMillis,
      pauseDurationMillis: stage.pauseDurationMillis,
    };
  }

  /** StageNodeExt: `execution/node/<id>/wfapi/describe`, a stage with its step nodes. */
  node(id: string): Json | undefined {
    const stage = this.stages.find(s => s.id === id);
    if (!stage) return undefined;
    const step = stage.step;
    return {
      ...this.stage(stage),
      stageFlowNodes: [
        {
          _links: {
            self: {
              href: `${this.base}execution/node/${step.id}/wfapi/describe`,
            },
            log: { href: `${this.base}execution/node/${step.id}/wfapi/log` },
          },
          id: step.id,
          name: step.name,
          execNode: '',
          status: stage.status,
          parameterDescription: step.description,
          startTimeMillis: stage.startTimeMillis,
          durationMillis: stage.durationMillis,
          pauseDurationMillis: stage.pauseDurationMillis,
          parentNodes: [stage.id],
        },
      ],
    };
  }

  /** FlowNodeLogExt: `execution/node/<step id>/wfapi/log`. */
  log(id: string): Json | undefined {
    const stage = this.stages.find(s => s.step.id === id);
    if (!stage) return undefined;
    const text = stage.log.map(line => `${escapeHtml(line)}\n`).join('');
    return {
      nodeId: id,
      nodeStatus: stage.status,
      length: Buffer.byteLength(text, 'utf8'),
      hasMore: stage.status === 'IN_PROGRESS' || stage.status === 'PAUSED_PENDING_INPUT',
      text,
      consoleUrl: `${this.base}execution/node/${id}/log`,
    };
  }

  /** InputActionExt list: `wfapi/pendingInputActions`. */
  pendingInputs(): Json[] {
    const input = inputOf(this.build.job);
    if (!input || !waitsForInput(this.build, this.now)) return [];
    return [
      {
        id: input.id,
        proceedText: input.ok,
        message: input.message,
        inputs: input.params.map(inputParameter),
        proceedUrl: `${this.base}wfapi/inputSubmit?inputId=${encodeURIComponent(input.id)}`,
        abortUrl: `${this.base}input/${encodeURIComponent(input.id)}/abort`,
        redirectApprovalUrl: `${this.base}input`,
      },
    ];
  }
}

/** InputParameterExt: type, name, description and the definition's defaults. */
function inputParameter(def: ParamDefinition): Json {
  const type = {
    string: 'StringParameterDefinition',
    text: 'TextParameterDefinition',
    boolean: 'BooleanParameterDefinition',
    choice: 'ChoiceParameterDefinition',
    password: 'PasswordParameterDefinition',
  }[def.type];
  const definition =
    def.type === 'choice' ? { choices: def.choices, defaultVal: def.choices[0] } : { defaultVal: def.defaultValue };
  return { type, name: def.name, description: def.description, definition };
}

/** Stage View's log text is HTML-escaped console text. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
