import { Sandbox } from '@internal/batch-jobs-sandbox';

/*
 * The sandbox's Jenkins as its admin uses it directly (a timer firing, a
 * person editing a job in the Jenkins UI): the changes an attack or a race
 * needs that do not go through the portal.
 */

/** `/job/A/job/B/...` of a full name. */
export const jobUrlPath = (fullName: string) =>
  fullName
    .split('/')
    .map(s => `/job/${encodeURIComponent(s)}`)
    .join('');

export async function jenkinsAdmin(
  sandbox: Sandbox,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<{ status: number; text: string; location?: string }> {
  const { username, apiToken } = sandbox.credentials;
  const res = await fetch(`${sandbox.jenkinsUrl}${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${username}:${apiToken}`).toString(
        'base64',
      )}`,
      ...(body !== undefined && { 'Content-Type': 'application/xml' }),
    },
    body,
    redirect: 'manual',
  });
  return {
    status: res.status,
    text: await res.text(),
    location: res.headers.get('location') ?? undefined,
  };
}

/** Starts `fullName` as its timer would and lets the manual clock run until the build has an agent. */
export async function startBuild(sandbox: Sandbox, fullName: string) {
  const job = sandbox.world.item(fullName) as any;
  const before = job.builds.length;
  const res = await jenkinsAdmin(
    sandbox,
    'POST',
    `${jobUrlPath(fullName)}/build`,
  );
  if (res.status >= 400)
    throw new Error(`Starting ${fullName}: ${res.status} ${res.text}`);
  for (let i = 0; i < 120; i++) {
    const build = job.builds.length > before ? job.builds.at(-1) : undefined;
    if (build && build.result === null && build.agentAt !== null) return build;
    await sandbox.advance(1000);
  }
  throw new Error(`${fullName} did not start a build`);
}

/** The job's config.xml as Jenkins serves it. */
export async function configXml(sandbox: Sandbox, fullName: string) {
  const res = await jenkinsAdmin(
    sandbox,
    'GET',
    `${jobUrlPath(fullName)}/config.xml`,
  );
  if (res.status !== 200)
    throw new Error(`config.xml of ${fullName}: ${res.status}`);
  return res.text;
}
