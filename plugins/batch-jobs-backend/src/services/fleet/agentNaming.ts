/*
 * The team's naming and tag conventions for agents, as config
 * (`batchJobs.fleet.naming`, overridden per VPC by `vpcs[].naming`), with
 * today's conventions as defaults. Templates are checked once at start-up;
 * everything that names, finds or recognises an agent goes through here.
 */
import { Config } from '@backstage/config';
import { AgentType } from '@batch-jobs/plugin-batch-jobs-common';

/** The conventions as configured: templates with `{vpc}` and `{instanceId}`. @public */
export interface AgentNamingTemplates {
  /** Value of tag `Name` on a VPC's agent instances; agents are found by it. */
  nameTag: string;
  /** Key of the tag a worker instance carries, its value the worker label. */
  agentTypeTag: string;
  /** Jenkins node of an instance; must hold `{instanceId}` once. */
  nodeName: string;
  labels: Record<AgentType, string>;
  executors: Record<AgentType, number>;
}

/** One VPC's conventions, `{vpc}` filled in. @public */
export interface AgentNaming {
  /** Value of tag `Name` of the VPC's agent instances, e.g. `DEV-BATCH-AGENT`. */
  nameTag: string;
  /** Key of the tag a worker instance carries (`AgentType`). */
  agentTypeTag: string;
  /** `nodeName` template with `{vpc}` filled in; `{instanceId}` left to fill. */
  nodeName: string;
  /** Jenkins label of each agent type. */
  labels: Record<AgentType, string>;
  /** Executors of a launched agent's node, per type. */
  executors: Record<AgentType, number>;
}

/** Today's conventions. @public */
export const DEFAULT_AGENT_NAMING: AgentNamingTemplates = {
  nameTag: '{vpc}-BATCH-AGENT',
  agentTypeTag: 'AgentType',
  nodeName: '{instanceId}-EC2-AGENT',
  labels: { batch: '{vpc}-batch-agent', worker: '{vpc}-worker-agent' },
  executors: { batch: 2, worker: 1 },
};

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
// Characters Jenkins refuses in node names (Jenkins.checkGoodName) and label atoms' separators.
const BAD_NODE_CHARS = /[?*/\\%!@#$^&|<>[\]:;\s"']/;
const BAD_LABEL_CHARS = /[\s&|!()<>"']/;
const EC2_INSTANCE_ID = 'i-[0-9a-f]{8}(?:[0-9a-f]{9})?';

function fail(key: string, message: string): never {
  throw new Error(`Invalid config at '${key}': ${message}`);
}

function checkTemplate(
  key: string,
  template: string,
  allowed: string[],
): string {
  if (!template) fail(key, 'must not be empty');
  const stray = template.replace(PLACEHOLDER_RE, '');
  if (/[{}]/.test(stray)) {
    fail(key, `'${template}' has an unmatched '{' or '}'`);
  }
  for (const [, name] of template.matchAll(PLACEHOLDER_RE)) {
    if (!allowed.includes(name)) {
      fail(
        key,
        `'${template}' uses {${name}}; known placeholders: ${allowed
          .map(a => `{${a}}`)
          .join(', ')}`,
      );
    }
  }
  return template;
}

/**
 * Reads one naming block (`batchJobs.fleet.naming` or a VPC's `naming`)
 * over `base`, failing with the key of the first bad value.
 * @public
 */
export function readAgentNaming(
  config: Config | undefined,
  at: string,
  base: AgentNamingTemplates = DEFAULT_AGENT_NAMING,
): AgentNamingTemplates {
  if (!config) return base;
  const vpcOnly = ['vpc'];
  const nameTag = checkTemplate(
    `${at}.nameTag`,
    config.getOptionalString('nameTag') ?? base.nameTag,
    vpcOnly,
  );
  if (nameTag.length > 256)
    fail(`${at}.nameTag`, 'EC2 tag values hold at most 256 characters');
  const agentTypeTag =
    config.getOptionalString('agentTypeTag') ?? base.agentTypeTag;
  if (!agentTypeTag || agentTypeTag.length > 128) {
    fail(`${at}.agentTypeTag`, 'an EC2 tag key of 1 to 128 characters');
  }
  if (
    agentTypeTag.toLowerCase().startsWith('aws:') ||
    agentTypeTag === 'Name'
  ) {
    fail(
      `${at}.agentTypeTag`,
      `'${agentTypeTag}' is reserved (aws:*) or the name tag`,
    );
  }
  const nodeName = checkTemplate(
    `${at}.nodeName`,
    config.getOptionalString('nodeName') ?? base.nodeName,
    ['vpc', 'instanceId'],
  );
  if (nodeName.split('{instanceId}').length !== 2) {
    // One machine, one node: the name must hold the id, once, to find the machine back.
    fail(
      `${at}.nodeName`,
      `'${nodeName}' must contain {instanceId} exactly once`,
    );
  }
  if (BAD_NODE_CHARS.test(nodeName.replace(PLACEHOLDER_RE, ''))) {
    fail(
      `${at}.nodeName`,
      `'${nodeName}' has a character Jenkins refuses in node names`,
    );
  }
  const types: AgentType[] = ['batch', 'worker'];
  const labels = {} as Record<AgentType, string>;
  const executors = {} as Record<AgentType, number>;
  for (const type of types) {
    const label = checkTemplate(
      `${at}.labels.${type}`,
      config.getOptionalString(`labels.${type}`) ?? base.labels[type],
      vpcOnly,
    );
    if (BAD_LABEL_CHARS.test(label)) {
      fail(
        `${at}.labels.${type}`,
        `'${label}' must be one Jenkins label (no spaces or operators)`,
      );
    }
    labels[type] = label;
    const count =
      config.getOptionalNumber(`executors.${type}`) ?? base.executors[type];
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      fail(
        `${at}.executors.${type}`,
        `expected a whole number from 1 to 100, got ${count}`,
      );
    }
    executors[type] = count;
  }
  if (labels.batch === labels.worker) {
    fail(
      `${at}.labels`,
      `batch and worker agents need different labels (both '${labels.batch}')`,
    );
  }
  return { nameTag, agentTypeTag, nodeName, labels, executors };
}

/** A VPC's conventions from the templates. @public */
export function resolveAgentNaming(
  templates: AgentNamingTemplates,
  vpc: string,
): AgentNaming {
  const fill = (t: string) => t.split('{vpc}').join(vpc);
  return {
    nameTag: fill(templates.nameTag),
    agentTypeTag: templates.agentTypeTag,
    nodeName: fill(templates.nodeName),
    labels: {
      batch: fill(templates.labels.batch),
      worker: fill(templates.labels.worker),
    },
    executors: { ...templates.executors },
  };
}

/** The Jenkins node of an instance. @public */
export function nodeNameOf(naming: AgentNaming, instanceId: string): string {
  return naming.nodeName.replace('{instanceId}', instanceId);
}

/** The instance behind a node, or undefined for nodes not named by the convention. @public */
export function instanceIdOf(
  naming: AgentNaming,
  nodeName: string,
): string | undefined {
  const [before, after] = naming.nodeName.split('{instanceId}');
  const pattern = new RegExp(
    `^${escapeRegExp(before)}(${EC2_INSTANCE_ID})${escapeRegExp(after)}$`,
  );
  return pattern.exec(nodeName)?.[1];
}

/** The tags that make an instance a VPC's agent of `type`. @public */
export function agentTags(
  naming: AgentNaming,
  type: AgentType,
): Record<string, string> {
  return {
    Name: naming.nameTag,
    ...(type === 'worker'
      ? { [naming.agentTypeTag]: naming.labels.worker }
      : {}),
  };
}

/** Which type an instance's tags say it is (no type tag: batch, as ever). @public */
export function agentTypeOfTags(
  naming: AgentNaming,
  tags: Record<string, string>,
): AgentType {
  const value = tags[naming.agentTypeTag];
  return value === undefined || value === naming.labels.batch
    ? 'batch'
    : 'worker';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
