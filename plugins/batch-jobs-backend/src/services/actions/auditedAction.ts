import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  AuditStore,
  IdempotencyStore,
  NewAuditEvent,
} from '../../database/types';

/*
 * The life of a mutating action under its audit row and Idempotency-Key:
 * the row is written `pending` before the system is called and finished
 * before the answer is reported; the key then replays that answer, or is
 * released when the action failed so the client may retry.
 */

/** @internal */
export interface AuditedActionDeps {
  audit: AuditStore;
  idempotency: IdempotencyStore;
  logger: LoggerService;
}

/** What `act` hands back once the system has acted. @internal */
export interface ActionDone<T> {
  /** Merged into the audit row as it becomes `succeeded`. */
  finish: Parameters<AuditStore['finish']>[2];
  /** The answer; a retry with the same Idempotency-Key gets it back. */
  response: T;
  /** Logged beside the row's actor, target, VPC and id. */
  fields: Record<string, unknown>;
}

/**
 * Writes `event` as a `pending` row, links the key to it, runs `act`, then
 * finishes the row, stores the answer under the key and logs it. A failure
 * is recorded by `recordFailure` and rethrown.
 * @internal
 */
export async function runAuditedAction<T>(
  deps: AuditedActionDeps,
  action: {
    event: NewAuditEvent;
    key: string | undefined;
    /** Log lines, e.g. 'Rerun queued', 'Rerun failed', 'Could not record failed rerun'. */
    logs: { succeeded: string; failed: string; unrecorded: string };
    act: (auditId: string) => Promise<ActionDone<T>>;
    /** Hides what must not reach the audit, the logs or the caller (a password Jenkins echoed). */
    redact?: (message: string) => string;
  },
): Promise<T> {
  const { audit, idempotency, logger } = deps;
  const { event, key, logs } = action;
  let auditId: string | undefined;
  try {
    auditId = await audit.create(event);
    // A crash from here on leaves this link for the reconciler to settle the key.
    if (key !== undefined) await idempotency.attach(event.actor, key, auditId);
    const done = await action.act(auditId);
    await audit.finish(auditId, 'succeeded', done.finish);
    if (key !== undefined)
      await idempotency.complete(event.actor, key, done.response);
    logger.info(logs.succeeded, {
      actor: event.actor,
      target: event.target,
      vpc: event.vpc,
      ...done.fields,
      auditId,
    });
    return done.response;
  } catch (error) {
    const raw = isError(error) ? error.message : String(error);
    const message = action.redact ? action.redact(raw) : raw;
    await recordFailure(deps, {
      auditId,
      actor: event.actor,
      key,
      message,
      unrecorded: `${logs.unrecorded} ${auditId}`,
      failed: logs.failed,
      fields: { actor: event.actor, target: event.target },
    });
    // The caller must not see what the audit was kept from.
    if (isError(error) && message !== error.message) error.message = message;
    throw error;
  }
}

/**
 * The failure tail of an action: the row (when written) records the error,
 * the key is released so a retry is a new attempt, and the failure is logged.
 * @internal
 */
export async function recordFailure(
  deps: AuditedActionDeps,
  failure: {
    auditId: string | undefined;
    actor: string;
    key: string | undefined;
    message: string;
    /** Beside `error` in the row's detail. */
    detail?: Record<string, unknown>;
    /** Logged when the row cannot be written. */
    unrecorded: string;
    /** Logged at warn with `fields` and the error. */
    failed: string;
    fields: Record<string, unknown>;
  },
): Promise<void> {
  const { audit, idempotency, logger } = deps;
  const { auditId, key, message } = failure;
  if (auditId) {
    await audit
      .finish(auditId, 'failed', {
        detail: { error: message, ...failure.detail },
      })
      .catch(e => logger.error(`${failure.unrecorded}: ${e}`));
  }
  if (key !== undefined) {
    await idempotency
      .release(failure.actor, key)
      .catch(e => logger.error(`Could not release Idempotency-Key: ${e}`));
  }
  logger.warn(failure.failed, { ...failure.fields, error: message });
}

/**
 * Holds a request for a second person: the held answer is what a retry with
 * the same key gets back; a failed hold frees the key.
 * @internal
 */
export async function holdUnderKey<T>(
  idempotency: IdempotencyStore,
  actor: string,
  key: string | undefined,
  hold: () => Promise<T>,
): Promise<T> {
  try {
    const held = await hold();
    if (key !== undefined) await idempotency.complete(actor, key, held);
    return held;
  } catch (error) {
    // The hold's error is the one to report, not a failed release.
    if (key !== undefined)
      await idempotency.release(actor, key).catch(() => {});
    throw error;
  }
}
