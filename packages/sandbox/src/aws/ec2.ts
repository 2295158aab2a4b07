/**
 * The EC2 Query API: form-encoded `Action=…&Version=2016-11-15` requests,
 * XML answers in the 2016-11-15 namespace, errors as
 * `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`.
 * Element names follow the EC2 API reference (the `xmlName`s the SDK reads).
 */
import { AwsError } from './errors';
import { XML_DECLARATION, itemSet, node, text } from './xml';
import {
  AwsWorld,
  Ec2Image,
  Ec2Instance,
  INSTANCE_STATE_CODES,
  InstanceStateName,
  LaunchTemplate,
  LaunchTemplateVersion,
  Reservation,
  Tag,
} from './world';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** Params are case-sensitive and, on repeats, the last one counts. */
export type Params = Map<string, string>;

export interface Ec2Answer {
  status: number;
  body: string;
}

const TAGGABLE_ON_LAUNCH = new Set([
  'instance',
  'volume',
  'network-interface',
  'spot-instances-request',
  'elastic-gpu',
]);

const INSTANCE_FILTERS: Record<string, (i: Ec2Instance) => string[]> = {
  'instance-id': i => [i.instanceId],
  'instance-state-name': i => [i.state],
  'instance-state-code': i => [String(INSTANCE_STATE_CODES[i.state])],
  'instance-type': i => [i.instanceType],
  'image-id': i => [i.imageId],
  'vpc-id': i => (i.state === 'terminated' ? [] : [i.vpcId]),
  'subnet-id': i => (i.state === 'terminated' ? [] : [i.subnetId]),
  'availability-zone': i => [i.availabilityZone],
  'private-ip-address': i => (i.privateIpAddress ? [i.privateIpAddress] : []),
  'reservation-id': i => [i.reservationId],
  'client-token': i => (i.clientToken ? [i.clientToken] : []),
  'key-name': i => (i.keyName ? [i.keyName] : []),
  'launch-time': i => [new Date(i.launchTime).toISOString()],
  'tag-key': i => i.tags.map(t => t.key),
  'tag-value': i => i.tags.map(t => t.value),
};

/** What the caller's credentials reach: every account, or one (an assumed role's). */
export interface Ec2Extra {
  agentNeverConnects: boolean;
  /** The account of an assumed role's credentials; absent: the main credentials. */
  account?: string;
}

type ActionHandler = (
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
) => string;

/** Whether the caller may see a VPC's resources (by VPC name). */
function reaches(world: AwsWorld, extra: Ec2Extra, vpc: string): boolean {
  return (
    extra.account === undefined || world.accountOfVpc(vpc) === extra.account
  );
}

/**
 * Instances of another account do not exist for an assumed role: EC2 says
 * NotFound, as it does for a real instance id of another account.
 */
function requireReachable(world: AwsWorld, extra: Ec2Extra, ids: string[]) {
  if (extra.account === undefined) return;
  const foreign = ids.filter(id => {
    const instance = world.getInstance(id);
    return instance && !reaches(world, extra, instance.vpc);
  });
  if (foreign.length > 0) {
    throw new AwsError(
      'InvalidInstanceID.NotFound',
      foreign.length === 1
        ? `The instance ID '${foreign[0]}' does not exist`
        : `The instance IDs '${foreign.join(', ')}' do not exist`,
    );
  }
}

const ACTIONS: Record<string, ActionHandler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
  DescribeLaunchTemplates: describeLaunchTemplates,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DescribeImages: describeImages,
};

export function isEc2Action(action: string): boolean {
  return Object.prototype.hasOwnProperty.call(ACTIONS, action);
}

/** Runs one action; `AwsError`s become EC2 error documents. */
export function answerEc2(
  world: AwsWorld,
  action: string,
  params: Params,
  requestId: string,
  extra: Ec2Extra = { agentNeverConnects: false },
): Ec2Answer {
  try {
    if (!isEc2Action(action)) {
      throw new AwsError(
        'InvalidAction',
        `The action ${action} is not valid for this web service.`,
      );
    }
    if (params.get('DryRun') === 'true') {
      throw new AwsError(
        'DryRunOperation',
        'Request would have succeeded, but DryRun flag is set.',
      );
    }
    const inner = ACTIONS[action](world, params, extra);
    const name = `${action}Response`;
    return {
      status: 200,
      body: `${XML_DECLARATION}<${name} xmlns="${EC2_NAMESPACE}">${text(
        'requestId',
        requestId,
      )}${inner}</${name}>`,
    };
  } catch (error) {
    if (error instanceof AwsError) return ec2Error(error, requestId);
    throw error;
  }
}

export function ec2Error(error: AwsError, requestId: string): Ec2Answer {
  return {
    status: error.status,
    body:
      `${XML_DECLARATION}<Response><Errors><Error>${text(
        'Code',
        error.code,
      )}${text('Message', error.message)}` +
      `</Error></Errors>${text('RequestID', requestId)}</Response>`,
  };
}

// --- actions ---------------------------------------------------------------

function runInstances(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const minCount = requiredInt(params, 'MinCount');
  const maxCount = requiredInt(params, 'MaxCount');
  const launchTemplate = hasPrefix(params, 'LaunchTemplate.')
    ? {
        id: params.get('LaunchTemplate.LaunchTemplateId'),
        name: params.get('LaunchTemplate.LaunchTemplateName'),
        version: params.get('LaunchTemplate.Version'),
      }
    : undefined;
  const clientToken = params.get('ClientToken');
  if (
    clientToken !== undefined &&
    (clientToken.length > 64 || !/^[\x20-\x7e]*$/.test(clientToken))
  ) {
    throw new AwsError(
      'InvalidParameterValue',
      'The client token must be 64 ASCII characters or fewer.',
    );
  }
  const tags: Tag[] = [];
  for (const spec of indexed(params, 'TagSpecification')) {
    const resourceType = spec.get('ResourceType');
    if (!resourceType) {
      throw new AwsError(
        'InvalidParameterValue',
        'A resource type must be specified in a tag specification.',
      );
    }
    if (!TAGGABLE_ON_LAUNCH.has(resourceType)) {
      throw new AwsError(
        'InvalidParameterValue',
        `'${resourceType}' is not a valid taggable resource type for this operation.`,
      );
    }
    // Volumes and network interfaces are not simulated; their tags are accepted and dropped.
    if (resourceType === 'instance') tags.push(...tagsOf(spec, 'Tag'));
  }

  if (extra.account !== undefined) {
    // Templates and subnets belong to an account: another account's do not
    // exist for an assumed role, as in EC2.
    const template = launchTemplate
      ? world.launchTemplates.find(
          t =>
            t.launchTemplateId === launchTemplate.id ||
            t.launchTemplateName === launchTemplate.name,
        )
      : undefined;
    if (template && !reaches(world, extra, template.vpc)) {
      throw launchTemplate?.id
        ? new AwsError(
            'InvalidLaunchTemplateId.NotFound',
            `The specified launch template, with template ID ${launchTemplate.id}, does not exist.`,
          )
        : new AwsError(
            'InvalidLaunchTemplateName.NotFoundException',
            `The specified launch template, with template name ${launchTemplate?.name}, does not exist.`,
          );
    }
    const subnetId = params.get('SubnetId');
    const subnetVpc = [...world.vpcs.values()].find(
      v => v.subnetId === subnetId,
    );
    if (subnetVpc && !reaches(world, extra, subnetVpc.name)) {
      throw new AwsError(
        'InvalidSubnetID.NotFound',
        `The subnet ID '${subnetId}' does not exist`,
      );
    }
  }
  const reservation = world.runInstances({
    launchTemplate,
    imageId: params.get('ImageId'),
    instanceType: params.get('InstanceType'),
    subnetId: params.get('SubnetId'),
    keyName: params.get('KeyName'),
    minCount,
    maxCount,
    tags,
    clientToken,
    fingerprint: fingerprintOf(params),
    agentNeverConnects: extra.agentNeverConnects,
  });
  return reservationBody(
    world,
    reservation,
    reservation.instanceIds.map(id => world.instances.get(id)!),
  );
}

function describeInstances(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const ids = values(params, 'InstanceId');
  const maxResults = params.get('MaxResults');
  if (ids.length > 0 && maxResults !== undefined) {
    throw new AwsError(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  const filters = filtersOf(params);
  for (const filter of filters) instanceFilter(filter.name);

  let instances = world
    .visibleInstances()
    .filter(i => reaches(world, extra, i.vpc));
  if (ids.length > 0) {
    requireReachable(world, extra, ids);
    const malformed = ids.find(id => !/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id));
    if (malformed)
      throw new AwsError(
        'InvalidInstanceID.Malformed',
        `Invalid id: "${malformed}"`,
      );
    const missing = ids.filter(id => !world.getInstance(id));
    if (missing.length > 0) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        missing.length === 1
          ? `The instance ID '${missing[0]}' does not exist`
          : `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    instances = instances.filter(i => ids.includes(i.instanceId));
  }
  instances = instances.filter(instance =>
    filters.every(filter => {
      const actual = instanceFilter(filter.name)(instance);
      return filter.values.some(pattern =>
        actual.some(value => wildcard(pattern, value)),
      );
    }),
  );

  const page = paginate(instances, params, maxResults, 5, 1000, i => i.seq);
  // Consecutive instances of one reservation are listed under it.
  const groups: Array<{ reservation: Reservation; instances: Ec2Instance[] }> =
    [];
  for (const instance of page.items) {
    const last = groups[groups.length - 1];
    if (last && last.reservation.reservationId === instance.reservationId)
      last.instances.push(instance);
    else
      groups.push({
        reservation: world.reservations.get(instance.reservationId)!,
        instances: [instance],
      });
  }
  return (
    itemSet('reservationSet', groups, g =>
      reservationBody(world, g.reservation, g.instances),
    ) + text('nextToken', page.nextToken)
  );
}

function terminateInstances(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const ids = values(params, 'InstanceId');
  if (ids.length === 0) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter InstanceId',
    );
  }
  requireReachable(world, extra, ids);
  const changes = world.terminateInstances(ids);
  return itemSet(
    'instancesSet',
    changes,
    change =>
      text('instanceId', change.instance.instanceId) +
      stateBody('currentState', change.current) +
      stateBody('previousState', change.previous),
  );
}

function createTags(world: AwsWorld, params: Params, extra: Ec2Extra): string {
  const ids = values(params, 'ResourceId');
  if (ids.length === 0) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter ResourceId',
    );
  }
  const tags = tagsOf(params, 'Tag');
  if (tags.length === 0)
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter Tag',
    );
  requireReachable(world, extra, ids);
  world.createTags(ids, tags);
  return text('return', true);
}

function deleteTags(world: AwsWorld, params: Params, extra: Ec2Extra): string {
  const ids = values(params, 'ResourceId');
  if (ids.length === 0) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter ResourceId',
    );
  }
  const tags = indexed(params, 'Tag').map(sub => ({
    key: sub.get('Key') ?? '',
    value: sub.get('Value'),
  }));
  requireReachable(world, extra, ids);
  world.deleteTags(ids, tags);
  return text('return', true);
}

function describeTags(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const filters = filtersOf(params);
  const getters: Record<string, (t: TagRow) => string[]> = {
    key: t => [t.key],
    value: t => [t.value],
    'resource-id': t => [t.resourceId],
    'resource-type': t => [t.resourceType],
  };
  const rows: TagRow[] = [];
  for (const instance of world
    .visibleInstances()
    .filter(i => reaches(world, extra, i.vpc))) {
    for (const tag of [...instance.tags].sort((a, b) =>
      compareStrings(a.key, b.key),
    )) {
      rows.push({
        ...tag,
        resourceId: instance.instanceId,
        resourceType: 'instance',
        order: rows.length,
        instance,
      });
    }
  }
  const matching = rows.filter(row =>
    filters.every(filter => {
      let actual: string[];
      if (filter.name.startsWith('tag:')) {
        const key = filter.name.slice(4);
        actual = row.instance.tags.filter(t => t.key === key).map(t => t.value);
      } else {
        const get = getters[filter.name];
        if (!get)
          throw new AwsError(
            'InvalidParameterValue',
            `The filter '${filter.name}' is invalid`,
          );
        actual = get(row);
      }
      return filter.values.some(pattern =>
        actual.some(value => wildcard(pattern, value)),
      );
    }),
  );
  const page = paginate(
    matching,
    params,
    params.get('MaxResults'),
    5,
    1000,
    r => r.order,
  );
  return (
    itemSet(
      'tagSet',
      page.items,
      row =>
        text('resourceId', row.resourceId) +
        text('resourceType', row.resourceType) +
        text('key', row.key) +
        text('value', row.value),
    ) + text('nextToken', page.nextToken)
  );
}

interface TagRow extends Tag {
  resourceId: string;
  resourceType: string;
  order: number;
  instance: Ec2Instance;
}

function describeLaunchTemplates(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const names = values(params, 'LaunchTemplateName');
  const ids = values(params, 'LaunchTemplateId');
  if (names.length > 0 && ids.length > 0) {
    throw new AwsError(
      'InvalidParameterCombination',
      'You can specify either launch template IDs or launch template names, but not both.',
    );
  }
  let templates = world.launchTemplates
    .map((t, order) => ({ ...t, order }))
    .filter(t => reaches(world, extra, t.vpc));
  if (names.length > 0) {
    if (
      names.some(name => !templates.some(t => t.launchTemplateName === name))
    ) {
      throw new AwsError(
        'InvalidLaunchTemplateName.NotFoundException',
        'At least one of the launch templates specified in the request does not exist.',
      );
    }
    templates = templates.filter(t => names.includes(t.launchTemplateName));
  }
  if (ids.length > 0) {
    const missing = ids.find(
      id => !templates.some(t => t.launchTemplateId === id),
    );
    if (missing) {
      throw new AwsError(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${missing}, does not exist.`,
      );
    }
    templates = templates.filter(t => ids.includes(t.launchTemplateId));
  }
  const filters = filtersOf(params);
  templates = templates.filter(template =>
    filters.every(filter => {
      let actual: string[];
      if (filter.name === 'launch-template-name')
        actual = [template.launchTemplateName];
      else if (filter.name === 'create-time')
        actual = [iso(template.createTime)];
      else if (filter.name.startsWith('tag:') || filter.name === 'tag-key')
        actual = [];
      else
        throw new AwsError(
          'InvalidParameterValue',
          `The filter '${filter.name}' is invalid`,
        );
      return filter.values.some(pattern =>
        actual.some(value => wildcard(pattern, value)),
      );
    }),
  );
  const page = paginate(
    templates,
    params,
    params.get('MaxResults'),
    1,
    200,
    t => t.order,
  );
  return (
    itemSet('launchTemplates', page.items, launchTemplateBody) +
    text('nextToken', page.nextToken)
  );
}

/** The template a request names by `LaunchTemplateId` or `LaunchTemplateName`, if the caller reaches it. */
function requestedTemplate(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): LaunchTemplate {
  const id = params.get('LaunchTemplateId');
  const name = params.get('LaunchTemplateName');
  if (id && name) {
    throw new AwsError(
      'InvalidParameterCombination',
      'You can specify either a launch template ID or a launch template name, but not both.',
    );
  }
  if (!id && !name) {
    throw new AwsError(
      'MissingParameter',
      'The request must contain the parameter LaunchTemplateName or LaunchTemplateId',
    );
  }
  const template = world.findLaunchTemplate({ id, name });
  if (!reaches(world, extra, template.vpc)) {
    // Another account's template does not exist for an assumed role.
    throw id
      ? new AwsError(
          'InvalidLaunchTemplateId.NotFound',
          `The specified launch template, with template ID ${id}, does not exist.`,
        )
      : new AwsError(
          'InvalidLaunchTemplateName.NotFoundException',
          `The specified launch template, with template name ${name}, does not exist.`,
        );
  }
  return template;
}

function createLaunchTemplateVersion(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const template = requestedTemplate(world, params, extra);
  const data = (key: string) => params.get(`LaunchTemplateData.${key}`);
  const securityGroupIds = values(params, 'LaunchTemplateData.SecurityGroupId');
  const version = world.createLaunchTemplateVersion(template, {
    sourceVersion: params.get('SourceVersion'),
    versionDescription: params.get('VersionDescription'),
    data: {
      ...(data('ImageId') ? { imageId: data('ImageId') } : {}),
      ...(data('InstanceType') ? { instanceType: data('InstanceType') } : {}),
      ...(data('KeyName') ? { keyName: data('KeyName') } : {}),
      ...(securityGroupIds.length > 0 ? { securityGroupIds } : {}),
    },
  });
  return node(
    'launchTemplateVersion',
    launchTemplateVersionBody(template, version),
  );
}

const VERSION_FILTERS: Record<
  string,
  (t: LaunchTemplate, v: LaunchTemplateVersion) => string[]
> = {
  'is-default-version': (t, v) => [
    String(v.versionNumber === t.defaultVersionNumber),
  ],
  'image-id': (_t, v) => [v.data.imageId],
  'instance-type': (_t, v) => [v.data.instanceType],
  'create-time': (_t, v) => [iso(v.createTime)],
};

function describeLaunchTemplateVersions(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const template = requestedTemplate(world, params, extra);
  const wanted = values(params, 'LaunchTemplateVersion');
  let versions = wanted.length
    ? [...new Set(wanted.map(w => world.templateVersion(template, w)))]
    : [...template.versions].sort((a, b) => b.versionNumber - a.versionNumber);
  const min = params.get('MinVersion');
  const max = params.get('MaxVersion');
  if (min) versions = versions.filter(v => v.versionNumber >= Number(min));
  if (max) versions = versions.filter(v => v.versionNumber <= Number(max));
  const filters = filtersOf(params);
  versions = versions.filter(version =>
    filters.every(filter => {
      const get = VERSION_FILTERS[filter.name];
      if (!get) {
        throw new AwsError(
          'InvalidParameterValue',
          `The filter '${filter.name}' is invalid`,
        );
      }
      const actual = get(template, version);
      return filter.values.some(p => actual.some(v => wildcard(p, v)));
    }),
  );
  const page = paginate(
    versions,
    params,
    params.get('MaxResults'),
    1,
    200,
    v => v.versionNumber,
  );
  return (
    itemSet('launchTemplateVersionSet', page.items, v =>
      launchTemplateVersionBody(template, v),
    ) + text('nextToken', page.nextToken)
  );
}

function modifyLaunchTemplate(
  world: AwsWorld,
  params: Params,
  extra: Ec2Extra,
): string {
  const template = requestedTemplate(world, params, extra);
  const wanted = params.get('SetDefaultVersion');
  if (wanted !== undefined) world.setDefaultVersion(template, wanted);
  return node('launchTemplate', launchTemplateBody(template));
}

const IMAGE_FILTERS: Record<string, (i: Ec2Image) => string[]> = {
  'image-id': i => [i.imageId],
  name: i => [i.name],
  'owner-id': i => [i.ownerId],
  state: () => ['available'],
  'creation-date': i => [iso(i.creationDate)],
};

function describeImages(
  world: AwsWorld,
  params: Params,
  _extra: Ec2Extra,
): string {
  const ids = values(params, 'ImageId');
  const owners = values(params, 'Owner');
  const missing = ids.filter(id => !world.images.has(id));
  if (missing.length > 0) {
    throw new AwsError(
      'InvalidAMIID.NotFound',
      `The image id '[${missing.join(', ')}]' does not exist`,
    );
  }
  let images = [...world.images.values()];
  if (ids.length > 0) images = images.filter(i => ids.includes(i.imageId));
  if (owners.length > 0) {
    images = images.filter(i =>
      owners.some(o => o === 'self' || o === i.ownerId),
    );
  }
  const filters = filtersOf(params);
  images = images.filter(image =>
    filters.every(filter => {
      const get = IMAGE_FILTERS[filter.name];
      if (!get) {
        throw new AwsError(
          'InvalidParameterValue',
          `The filter '${filter.name}' is invalid`,
        );
      }
      const actual = get(image);
      return filter.values.some(p => actual.some(v => wildcard(p, v)));
    }),
  );
  return itemSet('imagesSet', images, image =>
    [
      text('imageId', image.imageId),
      text('imageLocation', `${image.ownerId}/${image.name}`),
      text('imageState', 'available'),
      text('imageOwnerId', image.ownerId),
      text('creationDate', iso(image.creationDate)),
      text('isPublic', false),
      text('architecture', 'x86_64'),
      text('imageType', 'machine'),
      text('name', image.name),
      text('description', image.description),
      text('rootDeviceType', 'ebs'),
      text('rootDeviceName', '/dev/xvda'),
      node('blockDeviceMapping'),
      text('virtualizationType', 'hvm'),
      text('hypervisor', 'xen'),
      text('enaSupport', true),
      text('platformDetails', 'Linux/UNIX'),
      text('usageOperation', 'RunInstances'),
      text('bootMode', 'uefi-preferred'),
    ].join(''),
  );
}

// --- rendering ---------------------------------------------------------------

function reservationBody(
  world: AwsWorld,
  reservation: Reservation,
  instances: Ec2Instance[],
): string {
  return (
    text('reservationId', reservation.reservationId) +
    text('ownerId', reservation.ownerId) +
    node('groupSet') +
    itemSet('instancesSet', instances, instance =>
      instanceBody(world, instance),
    )
  );
}

function instanceBody(world: AwsWorld, i: Ec2Instance): string {
  const dnsSuffix =
    world.region === 'us-east-1'
      ? 'ec2.internal'
      : `${world.region}.compute.internal`;
  const privateDnsName = i.privateIpAddress
    ? `ip-${i.privateIpAddress.replace(/\./g, '-')}.${dnsSuffix}`
    : '';
  const terminated = i.state === 'terminated';
  const tags = i.tags;
  return [
    text('instanceId', i.instanceId),
    text('imageId', i.imageId),
    stateBody('instanceState', i.state),
    text('privateDnsName', privateDnsName),
    text('dnsName', ''),
    text('reason', i.stateTransitionReason),
    text('keyName', i.keyName),
    text('amiLaunchIndex', i.amiLaunchIndex),
    node('productCodes'),
    text('instanceType', i.instanceType),
    text('launchTime', iso(i.launchTime)),
    node(
      'placement',
      text('availabilityZone', i.availabilityZone),
      text('groupName', ''),
      text('tenancy', 'default'),
    ),
    node('monitoring', text('state', 'disabled')),
    terminated ? '' : text('subnetId', i.subnetId),
    terminated ? '' : text('vpcId', i.vpcId),
    text('privateIpAddress', i.privateIpAddress),
    terminated ? '' : text('sourceDestCheck', true),
    terminated
      ? node('groupSet')
      : itemSet(
          'groupSet',
          [i.securityGroupId],
          id => text('groupId', id) + text('groupName', 'jenkins-agents'),
        ),
    i.stateReason
      ? node(
          'stateReason',
          text('code', i.stateReason.code),
          text('message', i.stateReason.message),
        )
      : '',
    text('architecture', 'x86_64'),
    text('rootDeviceType', 'ebs'),
    text('rootDeviceName', '/dev/xvda'),
    node('blockDeviceMapping'),
    text('virtualizationType', 'hvm'),
    text('clientToken', i.clientToken ?? ''),
    tags.length > 0
      ? itemSet(
          'tagSet',
          tags,
          t => text('key', t.key) + text('value', t.value),
        )
      : '',
    text('hypervisor', 'xen'),
    node('networkInterfaceSet'),
    text('ebsOptimized', false),
    text('enaSupport', true),
    node('cpuOptions', text('coreCount', 1), text('threadsPerCore', 2)),
    node(
      'metadataOptions',
      text('state', 'applied'),
      text('httpTokens', 'required'),
      text('httpPutResponseHopLimit', 2),
      text('httpEndpoint', 'enabled'),
    ),
    text('bootMode', 'uefi-preferred'),
    text('platformDetails', 'Linux/UNIX'),
    text('usageOperation', 'RunInstances'),
  ].join('');
}

function stateBody(name: string, state: InstanceStateName): string {
  return node(
    name,
    text('code', INSTANCE_STATE_CODES[state]),
    text('name', state),
  );
}

function launchTemplateBody(t: LaunchTemplate): string {
  return (
    text('createTime', iso(t.createTime)) +
    text('createdBy', t.createdBy) +
    text('defaultVersionNumber', t.defaultVersionNumber) +
    text(
      'latestVersionNumber',
      Math.max(...t.versions.map(v => v.versionNumber)),
    ) +
    text('launchTemplateId', t.launchTemplateId) +
    text('launchTemplateName', t.launchTemplateName)
  );
}

function launchTemplateVersionBody(
  t: LaunchTemplate,
  v: LaunchTemplateVersion,
): string {
  return (
    text('launchTemplateId', t.launchTemplateId) +
    text('launchTemplateName', t.launchTemplateName) +
    text('versionNumber', v.versionNumber) +
    text('versionDescription', v.versionDescription) +
    text('createTime', iso(v.createTime)) +
    text('createdBy', v.createdBy ?? t.createdBy) +
    text('defaultVersion', v.versionNumber === t.defaultVersionNumber) +
    node(
      'launchTemplateData',
      text('imageId', v.data.imageId),
      text('instanceType', v.data.instanceType),
      text('keyName', v.data.keyName),
      itemSet('securityGroupIdSet', v.data.securityGroupIds, id => id),
      itemSet(
        'tagSpecificationSet',
        v.data.instanceTags.length ? [v.data.instanceTags] : [],
        tags =>
          text('resourceType', 'instance') +
          itemSet(
            'tagSet',
            tags,
            tag => text('key', tag.key) + text('value', tag.value),
          ),
      ),
    )
  );
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

// --- parameters ----------------------------------------------------------------

/** Params that sign or frame the request rather than say what it asks for. */
const NOT_PART_OF_REQUEST =
  /^(Action|Version|ClientToken|AWSAccessKeyId|Signature|SignatureMethod|SignatureVersion|Timestamp|Expires|SecurityToken|X-Amz-.*)$/;

/** Two RunInstances with one ClientToken must be the same request, apart from signing. */
function fingerprintOf(params: Params): string {
  return JSON.stringify(
    [...params.entries()]
      .filter(([key]) => !NOT_PART_OF_REQUEST.test(key))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

function hasPrefix(params: Params, prefix: string): boolean {
  for (const key of params.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

function requiredInt(params: Params, name: string): number {
  const raw = params.get(name);
  if (raw === undefined)
    throw new AwsError(
      'MissingParameter',
      `The request must contain the parameter ${name}`,
    );
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${raw}) for parameter ${name} is invalid. Expected an integer.`,
    );
  }
  return value;
}

/**
 * The members of a query list `Prefix.N[.rest]`, ordered by N: each as a map
 * of the rest (`''` for `Prefix.N` itself).
 */
export function indexed(params: Params, prefix: string): Params[] {
  const groups = new Map<number, Params>();
  const head = `${prefix}.`;
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue;
    const match = /^(\d+)(?:\.(.*))?$/.exec(key.slice(head.length));
    if (!match) continue;
    const index = Number(match[1]);
    if (!groups.has(index)) groups.set(index, new Map());
    groups.get(index)!.set(match[2] ?? '', value);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, sub]) => sub);
}

function values(params: Params, prefix: string): string[] {
  return indexed(params, prefix)
    .map(sub => sub.get(''))
    .filter((v): v is string => v !== undefined);
}

function tagsOf(params: Params, prefix: string): Tag[] {
  return indexed(params, prefix).map(sub => {
    const key = sub.get('Key');
    if (key === undefined)
      throw new AwsError('InvalidParameterValue', 'Tag key must be specified');
    return { key, value: sub.get('Value') ?? '' };
  });
}

function filtersOf(params: Params): Array<{ name: string; values: string[] }> {
  return indexed(params, 'Filter').map(sub => {
    const name = sub.get('Name');
    if (!name)
      throw new AwsError(
        'InvalidParameterValue',
        'The filter name must be specified',
      );
    return { name, values: values(sub, 'Value') };
  });
}

/** The values an instance has for a DescribeInstances filter; unknown filters are rejected like EC2 does. */
function instanceFilter(name: string): (i: Ec2Instance) => string[] {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return i => i.tags.filter(t => t.key === key).map(t => t.value);
  }
  const getter = INSTANCE_FILTERS[name];
  if (!getter)
    throw new AwsError(
      'InvalidParameterValue',
      `The filter '${name}' is invalid`,
    );
  return getter;
}

/** EC2 filter values: `*` any run of characters, `?` one character, `\` escapes; case-sensitive. */
function wildcard(pattern: string, value: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length)
      source += escapeRegExp(pattern[++i]);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`).test(value);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * MaxResults/NextToken paging. The token names the last item returned (by a
 * stable order key), so items created between pages do not shift the rest.
 */
function paginate<T>(
  items: T[],
  params: Params,
  maxResults: string | undefined,
  min: number,
  max: number,
  orderOf: (item: T) => number,
): { items: T[]; nextToken?: string } {
  let start = 0;
  const token = params.get('NextToken');
  if (token) {
    const after = decodeToken(token);
    start = items.findIndex(item => orderOf(item) > after);
    if (start < 0) start = items.length;
  }
  if (maxResults === undefined) return { items: items.slice(start) };
  const limit = Number(maxResults);
  if (!/^\d+$/.test(maxResults) || limit < min || limit > max) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return {
    items: page,
    nextToken: more ? encodeToken(orderOf(page[page.length - 1])) : undefined,
  };
}

function encodeToken(after: number): string {
  return Buffer.from(JSON.stringify({ v: 1, after })).toString('base64');
}

function decodeToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (parsed.v === 1 && Number.isInteger(parsed.after)) return parsed.after;
  } catch {
    // falls through to the error below
  }
  throw new AwsError(
    'InvalidParameterValue',
    `The token '${token}' is invalid.`,
  );
}

/** Code-unit order, like EC2 sorts tag keys. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
