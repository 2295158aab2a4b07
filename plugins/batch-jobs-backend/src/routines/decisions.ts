/*
 * What the routines decide, as pure functions of what they observed: tested
 * without Jenkins, EC2, S3 or a database.
 */
import type {
  BatchJobsAgentMachine,
  BatchJobsAgentOwnership,
} from '@batch-jobs/plugin-batch-jobs-node';
import type { ArchiveInspection } from '../services/aws/backupArchive';
import { describeMissing } from '../services/aws/agentOwnership';

/** A Jenkins node as the routines read it. @public */
export interface ObservedNode {
  name: string;
  offline: boolean;
  /** Taken offline by a person (or a drain): never touched. */
  temporarilyOffline: boolean;
  labels: string[];
  /** Builds on its executors (a pipeline can outlive its agent's channel). */
  runningBuilds: number;
  /** Jenkins' own time of the offline cause (channel closed), when it says. */
  offlineCauseAt: number | null;
}

/** An agent machine (EC2 instance) as the routines read it, with its VPC. @public */
export type ObservedInstance = BatchJobsAgentMachine & { vpc: string };

/**
 * Whether a machine is its provider's agent of the VPC (`checkAgentOwnership`
 * for EC2), applied to a machine that provider listed.
 * @public
 */
export type OwnershipCheck = (
  machine: BatchJobsAgentMachine,
) => BatchJobsAgentOwnership;

/** A VPC's agent labels, to tell which VPC a node belongs to. @public */
export interface VpcLabels {
  name: string;
  labels: string[];
  /** Whether its machines can be seen (AWS configured, or the provider lists). */
  hasAws: boolean;
  /** The machine behind a node (the provider's naming); undefined: not an agent node. */
  machineIdOf: (nodeName: string) => string | undefined;
}

/** @public */
export interface SweepDecision {
  node: string;
  vpc: string | null;
  instanceId: string | null;
  /** `delete`: delete the node (and terminate `terminate`); `spare`: leave it. */
  action: 'delete' | 'spare';
  /** The node's instance still runs and is ours (`checkAgentOwnership`): terminate it too. */
  terminate: boolean;
  /**
   * The node's instance still runs but is not the VPC's agent: what it
   * lacks. Only the node is deleted; the instance is never terminated.
   */
  instanceNotOurs?: string;
  offlineSince: string | null;
  reason: string;
}

/** EC2 states of an instance that still costs money and may still run an agent. */
const ALIVE = new Set(['pending', 'running', 'stopping', 'stopped']);

export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/**
 * Offline-node sweep: which offline nodes to delete. Only nodes named by
 * the VPC's convention (`<instanceId>-EC2-AGENT` by default, the provider's
 * `machineIdOf`) that carry a configured VPC's agent label are
 * candidates; the built-in node and static agents are never listed. A node
 * is spared while a person keeps it temporarily offline, while a build runs
 * on it, while its launch is in progress, and until it has been offline for
 * `gracePeriodMs` — since the earlier of when we first saw it offline and
 * Jenkins' own offline-cause time. A deleted node's instance that still
 * runs is terminated only when it is the VPC's agent by
 * `checkAgentOwnership` (the terminate endpoint's and the reaper's rule);
 * otherwise only the node goes and `instanceNotOurs` says why.
 * @public
 */
export function decideSweep(input: {
  nodes: ObservedNode[];
  vpcs: VpcLabels[];
  firstSeenOffline: Map<string, Date>;
  /** Instances of the VPCs with AWS, by id (missing: EC2 no longer knows it). */
  instances: Map<string, ObservedInstance>;
  /** Ownership checks per VPC name (a VPC without: none of its instances is terminated). */
  owners: Map<string, OwnershipCheck>;
  /** Node names and instance ids of launches still in progress. */
  launchesInProgress: Set<string>;
  now: Date;
  gracePeriodMs: number;
}): SweepDecision[] {
  const out: SweepDecision[] = [];
  for (const node of input.nodes) {
    if (!node.offline) continue;
    const vpc = input.vpcs.find(v =>
      v.labels.some(l => node.labels.includes(l)),
    );
    if (!vpc) continue;
    const instanceId = vpc.machineIdOf(node.name);
    if (!instanceId) continue;
    const seen = input.firstSeenOffline.get(node.name)?.getTime();
    const since = Math.min(
      seen ?? input.now.getTime(),
      node.offlineCauseAt ?? Number.POSITIVE_INFINITY,
    );
    const base = {
      node: node.name,
      vpc: vpc.name,
      instanceId,
      offlineSince: new Date(since).toISOString(),
      terminate: false,
    };
    const spare = (reason: string) =>
      out.push({ ...base, action: 'spare', reason });
    if (node.temporarilyOffline) {
      spare('taken offline by a person');
      continue;
    }
    if (node.runningBuilds > 0) {
      spare(`${node.runningBuilds} build(s) still running on it`);
      continue;
    }
    if (
      input.launchesInProgress.has(node.name) ||
      input.launchesInProgress.has(instanceId)
    ) {
      spare('its launch is still in progress');
      continue;
    }
    const offlineFor = input.now.getTime() - since;
    if (offlineFor < input.gracePeriodMs) {
      spare(
        `offline for ${formatAge(
          offlineFor,
        )}, within the grace period of ${formatAge(input.gracePeriodMs)}`,
      );
      continue;
    }
    const instance = input.instances.get(instanceId);
    const alive = Boolean(instance && ALIVE.has(instance.state));
    let notOurs: string | undefined;
    if (alive) {
      const check = input.owners.get(vpc.name);
      const ownership = check ? check(instance!) : undefined;
      if (!ownership) notOurs = `no ownership rules for VPC ${vpc.name}`;
      else if (!ownership.ours) notOurs = describeMissing(ownership.missing);
    }
    const terminate = alive && notOurs === undefined;
    let instanceNote = '';
    if (terminate) instanceNote = `; its instance is still ${instance!.state}`;
    else if (alive) {
      instanceNote = `; its instance is still ${
        instance!.state
      } but not ours (${notOurs}): only the node is deleted`;
    } else if (vpc.hasAws) instanceNote = '; its instance is gone';
    out.push({
      ...base,
      action: 'delete',
      terminate,
      ...(notOurs !== undefined ? { instanceNotOurs: notOurs } : {}),
      reason: `offline for ${formatAge(offlineFor)}${instanceNote}`,
    });
  }
  return out;
}

/** @public */
export interface ReapDecision {
  instanceId: string;
  vpc: string;
  node: string;
  action: 'terminate' | 'spare';
  reason: string;
}

/**
 * Orphan reaper: which agent instances to terminate. An instance that is up
 * (pending or running) is an orphan when no online Jenkins node goes with
 * it and it was launched more than `gracePeriodMs` ago. Spared: instances
 * that are not the VPC's agents by `checkAgentOwnership` (the same rule as
 * the terminate endpoint), launches still in progress, nodes a person
 * paused, nodes with running builds. Instances with an online node are not
 * listed.
 * @public
 */
export function decideReap(input: {
  instances: ObservedInstance[];
  nodes: Map<string, ObservedNode>;
  launchesInProgress: Set<string>;
  /** Ownership checks per VPC name. */
  owners: Map<string, OwnershipCheck>;
  now: Date;
  gracePeriodMs: number;
}): ReapDecision[] {
  const out: ReapDecision[] = [];
  for (const instance of input.instances) {
    if (instance.state !== 'pending' && instance.state !== 'running') continue;
    const nodeName = instance.nodeName;
    const node = input.nodes.get(nodeName);
    if (node && !node.offline) continue;
    const base = {
      instanceId: instance.id,
      vpc: instance.vpc,
      node: nodeName,
    };
    const spare = (reason: string) =>
      out.push({ ...base, action: 'spare', reason });
    const check = input.owners.get(instance.vpc);
    if (!check) {
      spare(`not ours: no ownership rules for VPC ${instance.vpc}`);
      continue;
    }
    const ownership = check(instance);
    if (!ownership.ours) {
      spare(`not ours: ${describeMissing(ownership.missing)}`);
      continue;
    }
    if (
      input.launchesInProgress.has(instance.id) ||
      input.launchesInProgress.has(nodeName)
    ) {
      spare('its launch is still in progress');
      continue;
    }
    if (node?.temporarilyOffline) {
      spare('its node was taken offline by a person');
      continue;
    }
    if (node && node.runningBuilds > 0) {
      spare(`${node.runningBuilds} build(s) still running on its node`);
      continue;
    }
    const launched = instance.launchTime
      ? Date.parse(instance.launchTime)
      : NaN;
    if (!Number.isFinite(launched)) {
      spare('EC2 gives no launch time');
      continue;
    }
    const age = input.now.getTime() - launched;
    if (age < input.gracePeriodMs) {
      spare(
        `up for ${formatAge(age)}, within the grace period of ${formatAge(
          input.gracePeriodMs,
        )}`,
      );
      continue;
    }
    out.push({
      ...base,
      action: 'terminate',
      reason: `${instance.state} for ${formatAge(age)} ${
        node ? 'with its node offline' : 'and its agent never created a node'
      }`,
    });
  }
  return out;
}

/** An object in the backup bucket. @public */
export interface BackupObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Clock skew tolerated between the controller and S3 (S3 times are whole seconds). */
export const BACKUP_CLOCK_SKEW_MS = 5_000;

/**
 * The backup a run produced: the newest object under the prefix that was
 * not there before the build was triggered and is not older than the
 * build's start. Undefined when there is none.
 * @public
 */
export function findNewBackup(input: {
  before: Set<string>;
  after: BackupObject[];
  buildStartedAt: Date;
}): BackupObject | undefined {
  const from = input.buildStartedAt.getTime() - BACKUP_CLOCK_SKEW_MS;
  return input.after
    .filter(o => !input.before.has(o.key) && o.lastModified.getTime() >= from)
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())[0];
}

/**
 * Whether a backup can be restored, from reading the whole object: not
 * empty, every byte S3 announced read, a complete gzip stream (each
 * member's CRC32 and size trailer checked by gunzip), a complete tar whose
 * root (the archive's, or one top directory) holds `config.xml` and `jobs/`.
 * @public
 */
export function checkBackup(
  object: BackupObject,
  archive: ArchiveInspection | undefined,
): { ok: true } | { ok: false; reason: string } {
  const fail = (reason: string) => ({
    ok: false as const,
    reason: `${object.key} ${reason}`,
  });
  if (object.size <= 0) return fail('is empty (0 bytes)');
  if (!archive) return fail('was not read');
  const { error } = archive;
  if (error?.stage === 'gzip') {
    return fail(
      error.truncated
        ? `is not a complete gzip stream (${error.message}: cut short)`
        : `is not a valid gzip stream (${error.message})`,
    );
  }
  if (error) return fail(`is not a complete tar archive (${error.message})`);
  if (archive.bytesRead !== object.size) {
    return fail(`was read ${archive.bytesRead} of ${object.size} bytes`);
  }
  const roots = archive.configRoots.filter(r => archive.jobsRoots.includes(r));
  if (roots.length === 0) {
    const missing = [
      archive.configRoots.length ? '' : 'config.xml',
      archive.jobsRoots.length ? '' : 'jobs/',
    ].filter(Boolean);
    return fail(
      missing.length
        ? `holds no ${missing.join(' and no ')} (${
            archive.entries
          } entries): not a Jenkins home`
        : 'holds config.xml and jobs/ in different directories: not a Jenkins home',
    );
  }
  return { ok: true };
}

/**
 * Retention over the backups the routine itself recorded as verified (the
 * caller passes no other object, so nothing it did not verify counts or
 * goes): keep the newest `keepLast` and/or those younger than `maxAgeDays`
 * (with both, a backup goes only when both rules let it go; with neither,
 * all stay). The newest verified backup always stays. Ages are measured
 * from `reference` (S3's time of the newest backup, so the backend's clock
 * does not matter).
 * @public
 */
export function decideRetention(input: {
  objects: BackupObject[];
  keepLast?: number;
  maxAgeDays?: number;
  newestVerifiedKey: string | null;
  reference: Date;
}): { keep: BackupObject[]; remove: BackupObject[] } {
  const sorted = [...input.objects].sort(
    (a, b) =>
      b.lastModified.getTime() - a.lastModified.getTime() ||
      b.key.localeCompare(a.key),
  );
  if (input.keepLast === undefined && input.maxAgeDays === undefined) {
    return { keep: sorted, remove: [] };
  }
  const keep: BackupObject[] = [];
  const remove: BackupObject[] = [];
  sorted.forEach((object, index) => {
    const byCount = input.keepLast !== undefined && index < input.keepLast;
    const byAge =
      input.maxAgeDays !== undefined &&
      input.reference.getTime() - object.lastModified.getTime() <
        input.maxAgeDays * 86_400_000;
    if (byCount || byAge || object.key === input.newestVerifiedKey) {
      keep.push(object);
    } else {
      remove.push(object);
    }
  });
  return { keep, remove };
}
