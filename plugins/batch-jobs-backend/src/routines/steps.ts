import { isError } from '@backstage/errors';
import { AuditStore } from '../database/types';
import { RoutineContext } from './RoutineRunner';

/*
 * The steps the fleet routines (sweep, reaper) share: reporting what they
 * leave alone, and one audited change with its run item.
 */

/** Reports a node or instance the routine leaves alone, and why. */
export function reportSpared(
  ctx: RoutineContext,
  target: string,
  vpc: string | null,
  why: string,
) {
  return ctx.report([
    { action: 'spare', target, vpc, status: 'skipped', message: why },
  ]);
}

/**
 * One change a routine makes: the audit row first, then `step`, then the
 * row's outcome and the run's item (`done` with the step's message, or
 * `failed` with the error). Never throws for the step's failure: the
 * routine goes on with the next one and fails the run at the end.
 */
export async function auditedStep(
  ctx: RoutineContext,
  audit: AuditStore,
  change: {
    /** Audit action, e.g. `routine.node.delete`. */
    action: string;
    /** Run item action, e.g. `delete-node`. */
    item: string;
    vpc: string | null;
    target: string;
    parameters: Record<string, unknown>;
    detail: Record<string, unknown>;
  },
  step: (
    auditId: string,
  ) => Promise<{ detail: Record<string, unknown>; message: string }>,
): Promise<{ ok: boolean; auditId: string; message: string }> {
  const auditId = await audit.create({
    actor: ctx.actor,
    action: change.action,
    entityRef: null,
    vpc: change.vpc,
    job: null,
    target: change.target,
    parameters: change.parameters,
    detail: change.detail,
  });
  const item = { action: change.item, target: change.target, vpc: change.vpc };
  try {
    const { detail, message } = await step(auditId);
    await audit.finish(auditId, 'succeeded', { detail });
    await ctx.report([{ ...item, status: 'done', message, auditId }]);
    return { ok: true, auditId, message };
  } catch (error) {
    const message = isError(error) ? error.message : String(error);
    await audit
      .finish(auditId, 'failed', { detail: { error: message } })
      .catch(() => undefined);
    await ctx.report([{ ...item, status: 'failed', message, auditId }]);
    return { ok: false, auditId, message };
  }
}
