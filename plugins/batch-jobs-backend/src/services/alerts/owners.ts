import { AuthService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { VpcConfig } from '../../config';
import { EntitySelection, JobDirectory } from '../jenkins/JobDirectory';

/** A catalog entity an operator's binding names, with the jobs it claims. */
export interface LinkedEntity {
  entity: Entity;
  ref: string;
  selection: EntitySelection;
}

/**
 * The entities the bindings name, read with the backend's own credentials,
 * with their claims: only those can own a job, whichever locator reads
 * their claims (annotations, modules'), so the catalog is not searched.
 * Entities without a usable claim are left out; a catalog failure throws.
 */
export async function boundEntities(deps: {
  catalog: CatalogService;
  auth: AuthService;
  directory: JobDirectory;
}): Promise<LinkedEntity[]> {
  const { catalog, auth, directory } = deps;
  const bound = directory.boundEntityRefs();
  if (bound.length === 0) return [];
  const { items } = await catalog.getEntitiesByRefs(
    { entityRefs: bound },
    { credentials: await auth.getOwnServiceCredentials() },
  );
  const linked: LinkedEntity[] = [];
  for (const entity of items) {
    if (!entity) continue;
    try {
      linked.push({
        entity,
        ref: stringifyEntityRef(entity),
        selection: await directory.selectionFor(entity),
      });
    } catch {
      // No usable claim: owns nothing.
    }
  }
  return linked;
}

/** The owners of the entities that validly claim one of `jobs` of `vpc`. */
export function ownersOfJobs(
  directory: JobDirectory,
  linked: LinkedEntity[],
  vpc: VpcConfig,
  jobs: string[],
): string[] {
  const owners = new Set<string>();
  for (const l of linked) {
    if (!jobs.some(job => directory.selects(l.selection, vpc, job))) continue;
    const owner = ownerOf(l.entity);
    if (owner) owners.add(owner);
  }
  return [...owners];
}

/** The entity's owner as an entity ref: its ownedBy relation, else spec.owner (a group by default). */
export function ownerOf(entity: Entity): string | undefined {
  const relation = entity.relations?.find(r => r.type === 'ownedBy');
  if (relation) return relation.targetRef;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}
