/*
 * Creating, reconfiguring and deleting items over HTTP, as Jenkins does it
 * (ItemGroupMixIn.createTopLevelItem, AbstractItem.doConfigDotXml,
 * AbstractItem.doDoDelete): what jenkins-job-builder, python-jenkins
 * (`create_job`, `reconfig_job`, `delete_job`) and the portal send.
 */
import type { Folder, Item, Job, User } from '../world/model';
import type { World } from '../world/world';
import { configXml } from './configXml';
import { ItemConfigError, ItemSpec, checkGoodName, itemFromConfigXml, withDisabled } from './itemXml';

const MINUTE = 60_000;

/** Item types of `createItem?mode=`, for an empty item. */
const MODES: Record<string, string> = {
  'hudson.model.FreeStyleProject': `<project><assignedNode></assignedNode><disabled>false</disabled></project>`,
  'org.jenkinsci.plugins.workflow.job.WorkflowJob': '<flow-definition/>',
  'com.cloudbees.hudson.plugins.folder.Folder': '<com.cloudbees.hudson.plugins.folder.Folder/>',
};

export interface CreateItemRequest {
  contentType: string | undefined;
  params: URLSearchParams;
  body: string;
}

/**
 * `POST [/job/F]/createItem?name=…` with a config.xml body (200, empty), or
 * `mode=copy&from=…` / `mode=<type>` (302 to the new item's configure page).
 * Errors are Jenkins' Failures (400) or, for an unreadable config, a 500.
 */
export function createItem(
  world: World,
  parent: Folder,
  request: CreateItemRequest,
): { item: Item; redirect: boolean } {
  const { contentType, params } = request;
  if (!contentType) throw new ItemConfigError(400, 'No Content-Type header set');
  const xmlSubmission = contentType.startsWith('application/xml') || contentType.startsWith('text/xml');
  const rawName = params.get('name');
  if (rawName === null) throw new ItemConfigError(400, "Query parameter 'name' is required");
  const name = checkGoodName(rawName);
  if (parent.children.some(c => c.name === name)) {
    throw new ItemConfigError(400, `A job already exists with the name ‘${name}’`);
  }
  const mode = params.get('mode');
  if (mode === 'copy') {
    const from = params.get('from') ?? '';
    const source = (from.startsWith('/') ? undefined : world.item(join(parent, from))) ?? world.item(from.replace(/^\/+/, ''));
    if (!source) throw new ItemConfigError(400, from ? `No such job: ${from}` : 'Specify which job to copy');
    const xml = source.kind === 'folder' ? configXml(source) : source.configXml ?? configXml(source);
    return { item: addItem(world, parent, name, itemFromConfigXml(xml), xml), redirect: true };
  }
  if (xmlSubmission) {
    return { item: addItem(world, parent, name, itemFromConfigXml(request.body), request.body), redirect: false };
  }
  if (!mode) throw new ItemConfigError(400, 'No mode given');
  const empty = MODES[mode];
  if (!empty) throw new ItemConfigError(400, `No item type ‘${mode}’ is known`);
  return { item: addItem(world, parent, name, itemFromConfigXml(empty), undefined), redirect: true };
}

function join(parent: Folder, name: string): string {
  return parent.fullName ? `${parent.fullName}/${name}` : name;
}

function addItem(world: World, parent: Folder, name: string, spec: ItemSpec, xml: string | undefined): Item {
  if (spec.kind === 'folder') return world.addFolder(parent, name, spec.description);
  return world.createJob({
    kind: spec.kind,
    name,
    fullName: join(parent, name),
    description: spec.description,
    parent,
    params: spec.params,
    timerSpec: spec.timerSpec,
    label: spec.label,
    concurrentBuild: spec.concurrentBuild,
    disabled: spec.disabled,
    builds: [],
    nextBuildNumber: 1,
    // A created batch job: a few minutes of work, failing now and then.
    profile: { meanDurationMs: 2 * MINUTE, failureRate: 0.1, worker: false, topic: name },
    ...(xml ? { configXml: xml } : {}),
  });
}

/** `GET …/config.xml`: what was submitted (with the current `<disabled>`), or the seeded job's. */
export function readConfigXml(item: Item): string {
  if (item.kind !== 'folder' && item.configXml) return withDisabled(item.configXml, item.disabled);
  return configXml(item);
}

/**
 * `POST …/config.xml` (AbstractItem.updateByXml): the item keeps its builds;
 * a config of another item type is refused like XStream does (500).
 */
export function updateConfigXml(world: World, item: Item, xml: string): void {
  const spec = itemFromConfigXml(xml);
  if (spec.kind !== item.kind) {
    throw new ItemConfigError(500, `java.io.IOException: Expecting ${javaClass(item.kind)} but got ${javaClass(spec.kind)} instead`);
  }
  if (spec.kind === 'folder' || item.kind === 'folder') {
    (item as Folder).description = spec.kind === 'folder' ? spec.description : null;
    return;
  }
  world.updateJob(item as Job, {
    description: spec.description,
    params: spec.params,
    timerSpec: spec.timerSpec,
    label: spec.label,
    concurrentBuild: spec.concurrentBuild,
    disabled: spec.disabled,
    configXml: xml,
  });
}

/** `POST …/doDelete`: the item and all it holds. */
export function deleteItem(world: World, item: Item, by: User): void {
  world.removeItem(item, by);
}

function javaClass(kind: Item['kind']): string {
  switch (kind) {
    case 'folder':
      return 'class com.cloudbees.hudson.plugins.folder.Folder';
    case 'pipeline':
      return 'class org.jenkinsci.plugins.workflow.job.WorkflowJob';
    default:
      return 'class hudson.model.FreeStyleProject';
  }
}
