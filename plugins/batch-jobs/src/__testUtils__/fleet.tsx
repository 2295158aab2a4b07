import { permissionApiRef } from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  FleetOperation,
  FleetResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchFleetApi, batchFleetApiRef } from '../api/BatchFleetApi';
import { FreshPermissionCache, fakePermissionApi } from './render';
import { BatchFleet } from '../components/BatchFleet';

export const NODE = 'i-0aaaaaaaaaaaaaaaa-EC2-AGENT';

const fleet: FleetResponse = {
  generatedAt: '2026-11-02T09:00:00.000Z',
  vpcs: [
    {
      vpc: 'STG',
      jenkins: 'sandbox',
      region: 'us-east-1',
      totals: { agents: 2, online: 3, busy: 1, idle: 2, offline: 2 },
      agents: [
        {
          node: NODE,
          type: 'worker',
          label: 'STG-worker-agent',
          executors: { busy: 1, total: 1 },
          builds: [{ name: 'STG » push-notifier » STG-worker #7', url: 'http://jenkins/job/STG/job/push-notifier/job/STG-worker/7/' }],
          status: 'online',
          offlineReason: null,
          instanceId: 'i-0aaaaaaaaaaaaaaaa',
          ec2State: 'running',
          launchTime: '2026-11-01T09:00:00.000Z',
          launchedBy: 'user:default/jane',
          reason: null,
        },
        {
          node: 'i-0bbbbbbbbbbbbbbbb-EC2-AGENT',
          type: 'batch',
          label: 'STG-batch-agent',
          executors: { busy: 0, total: 2 },
          builds: [],
          status: 'temporarily-offline',
          offlineReason: 'paused for maintenance',
          instanceId: 'i-0bbbbbbbbbbbbbbbb',
          ec2State: 'running',
          launchTime: null,
          launchedBy: null,
          reason: null,
        },
      ],
      queue: [
        {
          id: 12,
          task: 'daily-report',
          url: null,
          label: 'STG-batch-agent',
          why: 'Waiting for next available executor on ‘STG-batch-agent’',
          inQueueSince: null,
          stuck: false,
        },
      ],
    },
  ],
};

export const operation = (state: FleetOperation['state'], steps: string[]): FleetOperation => ({
  id: 'op-1',
  kind: 'launch',
  state,
  vpc: 'STG',
  type: 'worker',
  actor: 'user:default/jane',
  reason: null,
  instanceId: 'i-0ccccccccccccccccc'.slice(0, 19),
  node: 'i-0cccccccccccccccc-EC2-AGENT',
  steps: steps.map(name => ({ name, at: '2026-11-02T09:00:00.000Z', message: `${name} step` })),
  error: null,
  auditId: 'a-1',
  createdAt: '2026-11-02T09:00:00.000Z',
  updatedAt: '2026-11-02T09:00:00.000Z',
  deadline: '2026-11-02T09:05:00.000Z',
});

export function fakeApi(overrides: Partial<BatchFleetApi> = {}): jest.Mocked<BatchFleetApi> {
  return {
    getFleet: jest.fn(async () => fleet),
    launchAgent: jest.fn(async () => operation('running', ['launch', 'pending', 'node-created'])),
    getOperation: jest.fn(async () => operation('succeeded', ['launch', 'pending', 'node-created', 'running', 'online'])),
    terminateAgent: jest.fn(),
    startRefresh: jest.fn(),
    listRefreshes: jest.fn(async () => ({ items: [] })),
    getRefresh: jest.fn(),
    controlRefresh: jest.fn(),
    ...overrides,
  } as jest.Mocked<BatchFleetApi>;
}

/** A STG fleet of `n` batch agents: every 5th offline, every 3rd busy, the rest idle. */
export function largeFleet(n: number): FleetResponse {
  const agents = Array.from({ length: n }, (_, i) => {
    const id = `i-${String(i).padStart(17, '0')}`;
    const offline = i % 5 === 4;
    const busy = !offline && i % 3 === 0;
    return {
      node: `${id}-EC2-AGENT`,
      type: 'batch' as const,
      label: 'STG-batch-agent',
      executors: { busy: busy ? 1 : 0, total: 2 },
      builds: busy ? [{ name: `STG » report-${i} #1`, url: null }] : [],
      status: offline ? ('offline' as const) : ('online' as const),
      offlineReason: offline ? 'channel closed' : null,
      instanceId: id,
      ec2State: 'running',
      launchTime: null,
      launchedBy: null,
      reason: null,
    };
  });
  return {
    generatedAt: fleet.generatedAt,
    vpcs: [{ ...fleet.vpcs[0], agents, queue: [] }],
  };
}

export function render(api: BatchFleetApi, allowed = true, pollIntervalMs = 60_000) {
  return renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider
        apis={[
          [batchFleetApiRef, api],
          [permissionApiRef, fakePermissionApi(allowed)],
        ]}
      >
        <BatchFleet pollIntervalMs={pollIntervalMs} />
      </TestApiProvider>
    </FreshPermissionCache>,
  );
}

