import { createHash } from 'node:crypto';
import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { VpcConfig } from '../../config';
import { AuditStore, IdempotencyStore } from '../../database/types';
import type { ApprovalGate } from '../approvals/ApprovalGate';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';

/*
 * What every operator action shares with the rerun: the entity a job belongs
 * to decides who may act on it, and an Idempotency-Key makes a retried POST
 * answer the first answer instead of acting twice.
 *
 * An entity's annotation is a claim its own author writes; it gives a right
 * only where an operator's binding (`batchJobs.ownership`) gives the job to
 * that very entity and to no other (JobDirectory.claimOf).
 */

/** @internal */
export interface EntityAccessDeps {
  catalog: CatalogService;
  directory: JobDirectory;
  permissions: PermissionsService;
}

/** What an action on a catalog entity's job is built from. @internal */
export interface EntityActionServices extends EntityAccessDeps {
  clients: Map<string, JenkinsClient>;
  audit: AuditStore;
  logger: LoggerService;
  /** The four-eyes gate of VPCs with `requireApproval`. */
  gate?: ApprovalGate;
}

async function selectionOf(directory: JobDirectory, entity: Entity) {
  try {
    return await directory.selectionFor(entity);
  } catch {
    return undefined; // no usable claim: claims nothing
  }
}

/**
 * The catalog entities the caller can see (with their own credentials) that
 * validly claim the job. Only a bound entity can, so only those are fetched.
 * @internal
 */
export async function claimingEntities(
  deps: Pick<EntityAccessDeps, 'catalog' | 'directory'>,
  request: {
    vpc: VpcConfig;
    fullName: string;
    credentials: BackstageCredentials;
  },
): Promise<Entity[]> {
  const { catalog, directory } = deps;
  const { vpc, fullName, credentials } = request;
  const bound = directory.boundEntities(vpc, fullName);
  if (bound.length !== 1) return []; // unbound, or a conflict: nobody
  const { items } = await catalog.getEntitiesByRefs(
    { entityRefs: bound },
    { credentials },
  );
  const claiming: Entity[] = [];
  for (const entity of items) {
    if (!entity) continue;
    const selection = await selectionOf(directory, entity);
    if (selection && directory.selects(selection, vpc, fullName)) {
      claiming.push(entity);
    }
  }
  return claiming;
}

/**
 * Checks that the caller can see `entityRef` and that it validly claims the
 * job (which need not exist yet: a claim is on a path). Returns the entity's
 * ref as the catalog writes it, to audit.
 * @internal
 */
export async function checkEntityClaims(
  deps: Pick<EntityAccessDeps, 'catalog' | 'directory'>,
  request: {
    entityRef: string;
    vpc: VpcConfig;
    fullName: string;
    credentials: BackstageCredentials;
  },
): Promise<string> {
  const { catalog, directory } = deps;
  const { vpc, fullName, credentials } = request;
  let entity: Entity | undefined;
  try {
    entity = await catalog.getEntityByRef(request.entityRef, { credentials });
  } catch (error) {
    if ((error as Error)?.name === 'InputError' || error instanceof TypeError)
      throw new InputError(
        `Invalid entityRef '${request.entityRef}': ${(error as Error).message}`,
      );
    throw error;
  }
  if (!entity)
    throw new NotFoundError(`Entity '${request.entityRef}' not found`);
  const ref = stringifyEntityRef(entity);
  const selection = await selectionOf(directory, entity);
  const claim = selection
    ? directory.claimOf(selection, vpc, fullName)
    : 'none';
  if (claim === 'none') {
    throw new InputError(
      `Entity '${request.entityRef}' does not select job '${fullName}' in VPC '${vpc.name}'`,
    );
  }
  if (claim === 'unconfirmed') {
    throw new NotAllowedError(
      `Entity '${ref}' claims job '${fullName}' in VPC '${vpc.name}', but no binding in batchJobs.ownership gives it that job: an operator must confirm the claim`,
    );
  }
  if (claim === 'conflict') {
    throw new NotAllowedError(
      `Job '${fullName}' in VPC '${
        vpc.name
      }' is bound to several entities (${directory
        .boundEntities(vpc, fullName)
        .join(
          ', ',
        )}): nobody acts on it through an entity until an operator resolves batchJobs.ownership`,
    );
  }
  return ref;
}

/**
 * The entity an action acts through: an approved request's own (what the
 * approver reviewed), never one named when it is executed.
 * @internal
 */
export function actingEntityRef(
  requested: string | undefined,
  approval: { entityRef: string | null } | undefined,
): string | undefined {
  return approval ? approval.entityRef ?? undefined : requested;
}

/**
 * Finds the entity the job belongs to (the one given, or the one that
 * validly claims it) and checks the caller holds `permission` on it.
 * Returns the entity ref to audit.
 * @internal
 */
export async function authorizeOnEntity(
  deps: EntityAccessDeps,
  request: {
    vpc: VpcConfig;
    fullName: string;
    entityRef?: string;
    credentials: BackstageCredentials;
    permission: ResourcePermission<'catalog-entity'>;
    /** e.g. "stop builds of" */
    verb: string;
  },
): Promise<string> {
  const { permissions } = deps;
  const { vpc, fullName, credentials } = request;
  let candidates: string[];
  if (request.entityRef) {
    candidates = [
      await checkEntityClaims(deps, {
        entityRef: request.entityRef,
        vpc,
        fullName,
        credentials,
      }),
    ];
  } else {
    candidates = (
      await claimingEntities(deps, { vpc, fullName, credentials })
    ).map(entity => stringifyEntityRef(entity));
    if (candidates.length === 0) {
      throw new NotFoundError(
        `No catalog entity you can see selects job '${fullName}' in VPC '${
          vpc.name
        }' (${deps.directory.claimSources()}, confirmed by a binding in batchJobs.ownership)`,
      );
    }
  }
  const decisions = await permissions.authorize(
    candidates.map(resourceRef => ({
      permission: request.permission,
      resourceRef,
    })),
    { credentials },
  );
  const allowed = decisions.findIndex(d => d.result === AuthorizeResult.ALLOW);
  if (allowed < 0) {
    throw new NotAllowedError(
      `You are not allowed to ${request.verb} ${candidates.join(', ')} (${
        request.permission.name
      })`,
    );
  }
  return candidates[allowed];
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** Rejects a malformed Idempotency-Key before anything else happens. @internal */
export function checkIdempotencyKey(key: string | undefined) {
  if (key !== undefined && !KEY_RE.test(key)) {
    throw new InputError(
      'Idempotency-Key must be 1-255 printable ASCII characters',
    );
  }
}

/**
 * Claims `key` for a request (described by `fingerprint`, which must hold
 * no secret). Returns the first answer for a replay, undefined for a new
 * request; throws a ConflictError for a reuse with another request or one
 * still in flight.
 * @internal
 */
export async function claimIdempotencyKey<T>(
  idempotency: IdempotencyStore,
  actor: string,
  key: string,
  fingerprint: unknown,
  /** How the conflicts name the request (a launch "is still being started"). */
  wording = { request: 'request', inFlight: 'is still in progress' },
): Promise<T | undefined> {
  const hash = createHash('sha256')
    .update(JSON.stringify(fingerprint))
    .digest('hex');
  const claim = await idempotency.claim(actor, key, hash);
  if (claim.state === 'replay') return claim.response as T;
  if (claim.state === 'mismatch') {
    throw new ConflictError(
      `Idempotency-Key '${key}' was already used for a different ${wording.request}`,
    );
  }
  if (claim.state === 'in-flight') {
    throw new ConflictError(
      `A ${wording.request} with Idempotency-Key '${key}' ${wording.inFlight}`,
    );
  }
  return undefined;
}

/** Every folder a job's listing may be cached under: its ancestors, up to the root. @internal */
export function ancestorFolders(fullName: string): string[] {
  const parts = fullName.split('/');
  const out: string[] = [];
  for (let i = parts.length - 1; i >= 0; i--)
    out.push(parts.slice(0, i).join('/'));
  return out;
}
