/*
 * Which EC2 instances are the portal's to terminate: one pure predicate for
 * the terminate endpoint and the orphan reaper, so neither can pick an
 * instance the other would refuse. The README's IAM policy enforces the
 * same tags on AWS' side.
 */
import { LAUNCHED_BY_TAG } from '@batch-jobs/plugin-batch-jobs-common';

/** The system tag EC2 puts on instances launched from a launch template. @public */
export const LAUNCH_TEMPLATE_ID_TAG = 'aws:ec2launchtemplate:id';

/** What makes an instance an agent of one VPC. @public */
export interface AgentOwnershipRules {
  /** VPC name, e.g. `DEV`. */
  vpc: string;
  /** Value of the `Name` tag its agents carry (`batchJobs.fleet.naming.nameTag`), e.g. `DEV-BATCH-AGENT`. */
  nameTag: string;
  /** Key of the agent-type tag (`AgentType`): a worker's carries the worker label. */
  agentTypeTag: string;
  /** Agent labels: the only values the agent-type tag may have. */
  agentLabels: { batch: string; worker: string };
  /** Ids of the VPC's launch templates (agents Jenkins' EC2 cloud starts carry no launched-by tag). */
  launchTemplateIds: string[];
  /** The VPC's own VPC id; absent: not checked. */
  vpcId?: string;
  /** The VPC's subnets; absent or empty: not checked. */
  subnetIds?: string[];
}

/** An instance as EC2 describes it. @public */
export interface InstanceFacts {
  tags: Record<string, string>;
  vpcId?: string | null;
  subnetId?: string | null;
}

/** @public */
export type AgentOwnership =
  | { ours: true }
  | { ours: false; missing: string[] };

/**
 * Whether an instance is an agent of this VPC that the portal may
 * terminate: it carries the VPC's agent tags (`Name`, and the type tag only
 * with one of the VPC's labels), the portal's launched-by tag or the id of
 * one of the VPC's launch templates, and sits in the VPC's VPC id and
 * subnets when those are configured. Otherwise `missing` names each
 * condition it fails.
 * @public
 */
export function checkAgentOwnership(
  instance: InstanceFacts,
  rules: AgentOwnershipRules,
): AgentOwnership {
  const missing: string[] = [];
  const tags = instance.tags ?? {};
  const name = rules.nameTag;
  if (tags.Name !== name) {
    missing.push(
      `tag Name=${name}${tags.Name === undefined ? '' : ` (it has Name=${tags.Name})`}`,
    );
  }
  const typeTag = rules.agentTypeTag;
  const type = tags[typeTag];
  const labels = [rules.agentLabels.worker, rules.agentLabels.batch];
  if (type !== undefined && !labels.includes(type)) {
    missing.push(
      `tag ${typeTag}=${labels.join(' or ')} (it has ${typeTag}=${type})`,
    );
  }
  const template = tags[LAUNCH_TEMPLATE_ID_TAG];
  const fromTemplate =
    template !== undefined && rules.launchTemplateIds.includes(template);
  if (!tags[LAUNCHED_BY_TAG] && !fromTemplate) {
    missing.push(
      `tag ${LAUNCHED_BY_TAG} or ${LAUNCH_TEMPLATE_ID_TAG} of the VPC's launch templates${
        rules.launchTemplateIds.length ? ` (${rules.launchTemplateIds.join(', ')})` : ''
      }${template === undefined ? '' : ` (it has ${template})`}`,
    );
  }
  if (rules.vpcId && instance.vpcId !== rules.vpcId) {
    missing.push(
      `VPC id ${rules.vpcId} (it is in ${instance.vpcId || 'no VPC'})`,
    );
  }
  if (
    rules.subnetIds?.length &&
    !rules.subnetIds.includes(instance.subnetId ?? '')
  ) {
    missing.push(
      `subnet ${rules.subnetIds.join(' or ')} (it is in ${instance.subnetId || 'no subnet'})`,
    );
  }
  return missing.length ? { ours: false, missing } : { ours: true };
}

/** `no tag Name=DEV-BATCH-AGENT; no VPC id vpc-…`: what a refusal says. @public */
export function describeMissing(missing: string[]): string {
  return missing.map(m => `no ${m}`).join('; ');
}
