import type {
  AuditorService,
  AuditorServiceEvent,
  AuditorServiceEventSeverityLevel,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
import type { AuditOutcome } from '@batch-jobs/plugin-batch-jobs-common';
import type { AuditStore, NewAuditEvent } from '../../database/types';

/*
 * Every audited mutation also goes to Backstage's auditor service, which is
 * what a security team collects from an installation. The plugin's own
 * table stays the source of truth for the UI and the crash reconciler: the
 * row is written first, and an auditor that fails is logged, never turns a
 * done action into an error.
 */

/** Actions that remove or change what others run on. */
const HIGH = [
  'agent.terminate',
  'agent.replace',
  'approval.approve',
  'approval.execute',
  'job.restore',
  'job.promote',
  'routine.instance.terminate',
  'routine.backup.delete',
  'workers.redeploy',
  'worker.redeploy',
  'fleet.refresh',
];

function severityOf(action: string): AuditorServiceEventSeverityLevel {
  return HIGH.includes(action) ? 'high' : 'medium';
}

/** `build.rerun` → `build-rerun`: the auditor's event ids are kebab-case. */
export function auditorEventId(action: string): string {
  return action
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .toLowerCase();
}

function json(value: Record<string, unknown> | undefined): JsonObject {
  // Audit rows hold JSON already; this drops undefined and functions.
  return value ? JSON.parse(JSON.stringify(value)) : {};
}

/** An AuditStore that also reports each action to `coreServices.auditor`. */
export class AuditorForwardingStore implements AuditStore {
  /** Auditor events of rows this process created and has not settled. */
  private readonly open = new Map<
    string,
    Promise<AuditorServiceEvent | undefined>
  >();

  constructor(
    private readonly store: AuditStore,
    private readonly auditor: AuditorService,
    private readonly logger: LoggerService,
  ) {}

  async create(event: NewAuditEvent): Promise<string> {
    const id = await this.store.create(event);
    const opened = this.openEvent(id, event);
    this.open.set(id, opened);
    await opened;
    return id;
  }

  async finish(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: Parameters<AuditStore['finish']>[2],
  ): Promise<void> {
    await this.store.finish(id, outcome, update);
    await this.settle(id, outcome, update.detail);
  }

  async settlePending(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: Parameters<AuditStore['settlePending']>[2],
  ): Promise<boolean> {
    const settled = await this.store.settlePending(id, outcome, update);
    // Only the replica that settled the row reports it.
    if (settled) await this.settle(id, outcome, update.detail);
    return settled;
  }

  recordBuild(id: string, build: { number: number; url: string }) {
    return this.store.recordBuild(id, build);
  }
  get(id: string) {
    return this.store.get(id);
  }
  list(filter: Parameters<AuditStore['list']>[0]) {
    return this.store.list(filter);
  }
  listQueued(filter: Parameters<AuditStore['listQueued']>[0]) {
    return this.store.listQueued(filter);
  }
  findByQueueItem(vpc: string, queueItemId: number) {
    return this.store.findByQueueItem(vpc, queueItemId);
  }
  listStalePending(filter: Parameters<AuditStore['listStalePending']>[0]) {
    return this.store.listStalePending(filter);
  }

  private async openEvent(
    id: string,
    event: NewAuditEvent,
  ): Promise<AuditorServiceEvent | undefined> {
    try {
      return await this.auditor.createEvent({
        eventId: auditorEventId(event.action),
        severityLevel: severityOf(event.action),
        meta: {
          auditId: id,
          action: event.action,
          actor: event.actor,
          entityRef: event.entityRef,
          vpc: event.vpc,
          job: event.job,
          target: event.target,
          parameters: json(event.parameters),
        },
      });
    } catch (e) {
      this.logger.warn(
        `Could not report ${event.action} (audit ${id}) to the auditor: ${e}`,
      );
      return undefined;
    }
  }

  private async settle(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    detail: Record<string, unknown> | undefined,
  ) {
    let opened = this.open.get(id);
    this.open.delete(id);
    if (!opened) {
      // Created by another replica or before a restart (the reconciler
      // settles it): open the event from the row now.
      const row = await this.store.get(id);
      if (!row) return;
      opened = this.openEvent(id, row);
    }
    const event = await opened;
    if (!event) return;
    const meta = { auditId: id, outcome, detail: json(detail) };
    try {
      if (outcome === 'succeeded') {
        await event.success({ meta });
      } else {
        const message =
          typeof detail?.error === 'string' ? detail.error : `${outcome}`;
        await event.fail({ meta, error: new Error(message) });
      }
    } catch (e) {
      this.logger.warn(
        `Could not report the outcome of audit ${id} to the auditor: ${e}`,
      );
    }
  }
}
