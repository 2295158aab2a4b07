import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The plugin's migrations, as the backend runs them. */
export const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);

/**
 * Rolls migrations back, newest first, until `migration` is pending again:
 * a migration's `down` is tested whatever was added after it.
 */
export async function rollBackTo(db: Knex, migration: string) {
  for (let step = 0; step < 50; step++) {
    const [, pending] = await db.migrate.list({ directory: migrationsDir });
    if (pending.some((m: any) => (m.file ?? m.name) === migration)) return;
    await db.migrate.down({ directory: migrationsDir });
  }
  throw new Error(`${migration} was never rolled back`);
}
