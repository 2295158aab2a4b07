import {
  AgentImage,
  AgentType,
  FleetImageSummary,
} from '@batch-jobs/plugin-batch-jobs-common';
import type { LaunchTemplateDefault } from '../aws/Ec2Agents';

const DAY_MS = 24 * 3_600_000;

/** What a machine says it runs (an EC2 instance's AMI and template tags). @public */
export interface MachineImage {
  imageId?: string | null;
  launchTemplateId?: string | null;
  launchTemplateVersion?: number | null;
}

/**
 * An agent's image against its type's template default: stale when it is
 * not on the default version, or its AMI is older than `maxAgeDays`. Pure.
 * @public
 */
export function agentImageOf(
  machine: MachineImage,
  type: AgentType | null,
  context: {
    defaults: LaunchTemplateDefault[];
    /** AMI creation dates (ISO) by image id. */
    created: Map<string, string>;
    maxAgeDays: number;
    now: Date;
  },
): AgentImage {
  const target = context.defaults.find(d => d.type === (type ?? 'batch'));
  const imageId = machine.imageId ?? null;
  const createdAt = imageId ? context.created.get(imageId) ?? null : null;
  const ageDays = createdAt
    ? Math.floor((context.now.getTime() - Date.parse(createdAt)) / DAY_MS)
    : null;
  const version = machine.launchTemplateVersion ?? null;
  const reasons: string[] = [];
  if (target) {
    if (machine.launchTemplateId !== target.launchTemplateId) {
      reasons.push(`not launched from ${target.launchTemplateName}`);
    } else if (version !== target.version) {
      reasons.push(
        `launch template version ${version ?? '?'}, default is ${
          target.version
        }`,
      );
    }
  }
  if (ageDays !== null && ageDays > context.maxAgeDays) {
    reasons.push(`image is ${ageDays} days old (limit ${context.maxAgeDays})`);
  }
  return {
    imageId,
    imageCreatedAt: createdAt,
    imageAgeDays: ageDays,
    launchTemplateId: machine.launchTemplateId ?? null,
    launchTemplateVersion: version,
    defaultVersion: target?.version ?? null,
    defaultImageId: target?.imageId ?? null,
    stale: reasons.length > 0,
    staleReasons: reasons,
  };
}

/** "3 of 5 agents stale, oldest image 74 days". Pure. @public */
export function summarizeImages(
  images: AgentImage[],
  maxAgeDays: number,
): FleetImageSummary {
  const stale = images.filter(i => i.stale).length;
  const ages = images
    .map(i => i.imageAgeDays)
    .filter((d): d is number => d !== null);
  const oldest = ages.length ? Math.max(...ages) : null;
  const agents = `${images.length} agent${images.length === 1 ? '' : 's'}`;
  return {
    agents: images.length,
    stale,
    oldestImageDays: oldest,
    maxImageAgeDays: maxAgeDays,
    summary: `${stale} of ${agents} stale${
      oldest !== null
        ? `, oldest image ${oldest} day${oldest === 1 ? '' : 's'}`
        : ''
    }`,
  };
}
