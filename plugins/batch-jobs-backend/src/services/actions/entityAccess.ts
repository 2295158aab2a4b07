import { createHash } from 'node:crypto';
import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
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
import { BATCH_JOBS_ANNOTATION } from '@internal/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { IdempotencyStore } from '../../database/types';
import { JobDirectory } from '../jenkins/JobDirectory';

/*
 * What every operator action shares with the rerun: the entity a job belongs
 * to decides who may act on it, and an Idempotency-Key makes a retried POST
 * answer the first answer instead of acting twice.
 */

/**
 * Finds the entity the job belongs to (the one given, or those whose
 * annotation selects it) and checks the caller holds `permission` on one.
 * Returns the entity ref to audit.
 * @internal
 */
export async function authorizeOnEntity(
  deps: {
    catalog: CatalogService;
    directory: JobDirectory;
    permissions: PermissionsService;
  },
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
  const { catalog, directory, permissions } = deps;
  const { vpc, fullName, credentials } = request;
  let candidates: string[];
  if (request.entityRef) {
    const entity = await catalog.getEntityByRef(request.entityRef, {
      credentials,
    });
    if (!entity)
      throw new NotFoundError(`Entity '${request.entityRef}' not found`);
    if (!directory.selects(directory.selectionFor(entity), vpc, fullName)) {
      throw new InputError(
        `Entity '${request.entityRef}' does not select job '${fullName}' in VPC '${vpc.name}'`,
      );
    }
    candidates = [stringifyEntityRef(entity)];
  } else {
    const { items } = await catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${BATCH_JOBS_ANNOTATION}`]:
            CATALOG_FILTER_EXISTS,
        },
      },
      { credentials },
    );
    candidates = items
      .filter(entity => {
        try {
          return directory.selects(
            directory.selectionFor(entity),
            vpc,
            fullName,
          );
        } catch {
          return false;
        }
      })
      .map(entity => stringifyEntityRef(entity));
    if (candidates.length === 0) {
      throw new NotFoundError(
        `No catalog entity you can see selects job '${fullName}' in VPC '${vpc.name}' (annotation ${BATCH_JOBS_ANNOTATION})`,
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
