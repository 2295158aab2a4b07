import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/**
 * The real Jenkins captures live in `shared/jenkins-captures`, a sibling of the
 * repository clone (CI checks shared/ out beside it). Walk up from here to
 * find it; BATCH_JOBS_CAPTURES overrides.
 */
export function capturesDir(): string {
  const override = process.env.BATCH_JOBS_CAPTURES;
  if (override) {
    if (!fs.existsSync(override)) {
      throw new Error(`BATCH_JOBS_CAPTURES=${override} does not exist`);
    }
    return override;
  }
  const tried: string[] = [];
  let dir = resolvePackagePath('@batch-jobs/plugin-batch-jobs-backend');
  for (;;) {
    const candidate = path.join(dir, 'shared', 'jenkins-captures');
    tried.push(candidate);
    if (fs.existsSync(path.join(candidate, 'README.md'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `Jenkins captures not found; expected shared/jenkins-captures beside the repository clone. Tried:\n${tried.join(
      '\n',
    )}\nSet BATCH_JOBS_CAPTURES to its path.`,
  );
}

/** Every capture file as `category/file` paths (README excluded). */
export function listCaptures(): string[] {
  const root = capturesDir();
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter(d => d.isDirectory())
    .flatMap(d =>
      fs.readdirSync(path.join(root, d.name)).map(f => `${d.name}/${f}`),
    )
    .sort();
}

export function readCapture(relative: string): string {
  return fs.readFileSync(path.join(capturesDir(), relative), 'utf8');
}
