import { identityApiRef } from '@backstage/core-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import {
  ApprovalRequest,
  WorkerRedeployJob,
  WorkerRedeployOperation,
} from '@internal/plugin-batch-jobs-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ReactElement } from 'react';
import {
  BatchOperationsApi,
  batchOperationsApiRef,
} from '../../api/BatchOperationsApi';
import { build, createFakeApi } from '../../__testUtils__/fixtures';
import {
  FreshPermissionCache,
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { RerunButton } from '../RerunButton';
import { ApprovalsList } from './Approvals';
import { RedeployWorkersDialog } from './RedeployWorkers';

const WORKER = 'STG/push-notifier/STG-worker';

function fakeOperationsApi(
  overrides: Partial<BatchOperationsApi> = {},
): BatchOperationsApi {
  return {
    listWorkers: jest.fn(async vpc => ({
      vpc,
      pattern: `${vpc}-worker*`,
      requireApproval: vpc === 'PROD',
      jobs: [
        {
          fullName: `${vpc}/push-notifier/${vpc}-worker`,
          runningBuild: 7,
          url: 'http://jenkins/x/',
        },
      ],
    })),
    redeployWorkers: jest.fn(),
    getOperation: jest.fn(),
    listApprovals: jest.fn(async () => ({ items: [] })),
    approve: jest.fn(),
    reject: jest.fn(),
    ...overrides,
  };
}

function render(
  element: ReactElement,
  api: BatchOperationsApi,
  allowed = true,
) {
  return renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider
        apis={[
          [batchOperationsApiRef, api],
          [permissionApiRef, fakePermissionApi(allowed)],
          [
            identityApiRef,
            mockApis.identity({ userEntityRef: 'user:default/bob' }),
          ],
        ]}
      >
        {element}
      </TestApiProvider>
    </FreshPermissionCache>,
  );
}

function job(
  state: WorkerRedeployJob['state'],
  extra: Partial<WorkerRedeployJob> = {},
): WorkerRedeployJob {
  return {
    job: WORKER,
    state,
    stoppedBuild: 7,
    newBuild: null,
    newBuildUrl: null,
    queueItemId: null,
    parameters: { ENV: 'STG' },
    steps: [{ at: '2026-11-02T09:00:00.000Z', message: 'Stopping build #7' }],
    error: null,
    ...extra,
  };
}

function operation(
  state: WorkerRedeployOperation['state'],
  jobs: WorkerRedeployJob[],
): WorkerRedeployOperation {
  return {
    id: 'op-1',
    kind: 'workers.redeploy',
    state,
    vpc: 'STG',
    actor: 'user:default/jane',
    approvedBy: null,
    jobs,
    createdAt: '2026-11-02T09:00:00.000Z',
    updatedAt: '2026-11-02T09:00:01.000Z',
  };
}

describe('RedeployWorkersDialog', () => {
  it('lists the worker jobs, then shows live per-job progress until done', async () => {
    const api = fakeOperationsApi({
      redeployWorkers: jest.fn(async () =>
        operation('running', [job('stopping')]),
      ),
      getOperation: jest
        .fn()
        .mockResolvedValueOnce(
          operation('running', [job('starting', { queueItemId: 9 })]),
        )
        .mockResolvedValue(
          operation('succeeded', [
            job('succeeded', {
              newBuild: 8,
              newBuildUrl: 'http://jenkins/x/8/',
              steps: [
                { at: '2026-11-02T09:00:02.000Z', message: 'Build #8 started' },
              ],
            }),
          ]),
        ),
    });
    await render(
      <RedeployWorkersDialog vpc="STG" pollMs={10} onClose={() => {}} />,
      api,
    );

    const list = await screen.findByRole('table', { name: 'Worker jobs' });
    expect(list).toHaveTextContent(WORKER);
    expect(list).toHaveTextContent('running #7');
    await userEvent.click(
      screen.getByRole('button', { name: 'Redeploy 1 worker' }),
    );
    expect(api.redeployWorkers).toHaveBeenCalledWith({
      vpc: 'STG',
      jobs: [WORKER],
    });

    const progress = await screen.findByRole('table', {
      name: 'Redeploy progress',
    });
    await waitFor(() => expect(progress).toHaveTextContent('restarted'));
    expect(progress).toHaveTextContent(/#7 stopped → #8.*running/);
    expect(progress).toHaveTextContent('Build #8 started');
    expect(
      screen.getByText('Every worker job was restarted.'),
    ).toBeInTheDocument();
  });

  it('says which jobs failed while the others were restarted', async () => {
    const api = fakeOperationsApi({
      redeployWorkers: jest.fn(async () =>
        operation('failed', [
          job('succeeded', { newBuild: 8 }),
          job('failed', {
            job: 'STG/x/STG-worker-2',
            error: 'Jenkins did not end build #3',
          }),
        ]),
      ),
    });
    await render(<RedeployWorkersDialog vpc="STG" onClose={() => {}} />, api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Redeploy 1 worker' }),
    );
    expect(
      await screen.findByText(/1 of 2 worker jobs could not be restarted/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('table', { name: 'Redeploy progress' }),
    ).toHaveTextContent('Jenkins did not end build #3');
  });

  it('shows "waiting for approval" in a VPC that needs four eyes', async () => {
    const api = fakeOperationsApi({
      redeployWorkers: jest.fn(async () => ({
        approvalRequired: true as const,
        requestId: 'abcdef12-0000-4000-8000-000000000000',
        approval: {
          id: 'abcdef12-0000-4000-8000-000000000000',
          status: 'pending' as const,
          expiresAt: '2026-11-03T09:00:00.000Z',
        },
      })),
    });
    await render(<RedeployWorkersDialog vpc="PROD" onClose={() => {}} />, api);
    expect(await screen.findByText(/PROD needs four eyes/)).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Redeploy 1 worker' }),
    );
    expect(await screen.findByRole('status')).toHaveTextContent(
      /Waiting for approval.*abcdef12/,
    );
    expect(api.getOperation).not.toHaveBeenCalled();
  });
});

describe('ApprovalsList', () => {
  const request = (over: Partial<ApprovalRequest>): ApprovalRequest => ({
    id: 'r1',
    action: 'build.rerun',
    status: 'pending',
    vpc: 'PROD',
    target: 'PROD/p/daily#3',
    summary: 'Rerun PROD/p/daily #3',
    entityRef: 'component:default/p',
    payload: {},
    requestedBy: 'user:default/jane',
    requestedAt: '2026-11-02T09:00:00.000Z',
    expiresAt: '2026-11-03T09:00:00.000Z',
    decidedBy: null,
    decidedAt: null,
    reason: null,
    result: null,
    error: null,
    ...over,
  });

  it('approves another person’s request and never offers to approve your own', async () => {
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({
        items: [
          request({}),
          request({
            id: 'r2',
            summary: 'Launch a batch agent in PROD',
            requestedBy: 'user:default/bob',
          }),
        ],
      })),
      approve: jest.fn(async () =>
        request({ status: 'approved', decidedBy: 'user:default/bob' }),
      ),
    });
    await render(<ApprovalsList />, api);
    const rows = await screen.findAllByRole('row');
    const jane = rows.find(r =>
      r.textContent?.includes('Rerun PROD/p/daily #3'),
    )!;
    const mine = rows.find(r =>
      r.textContent?.includes('Launch a batch agent'),
    )!;
    expect(
      within(mine).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(mine).toHaveTextContent('your request: another person decides');

    await userEvent.click(
      await whenEnabled(() =>
        within(jane).getByRole('button', { name: 'Approve' }),
      ),
    );
    expect(api.approve).toHaveBeenCalledWith('r1');
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Rerun PROD/p/daily #3: approved by user:default/bob',
    );
  });

  it('rejects with a reason', async () => {
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({ items: [request({})] })),
      reject: jest.fn(async () =>
        request({
          status: 'rejected',
          decidedBy: 'user:default/bob',
          reason: 'not now',
        }),
      ),
    });
    await render(<ApprovalsList />, api);
    await userEvent.click(
      await whenEnabled(() => screen.getByRole('button', { name: 'Reject' })),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Reason'), 'not now');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );
    expect(api.reject).toHaveBeenCalledWith('r1', 'not now');
    expect(await screen.findByRole('status')).toHaveTextContent(
      'rejected by user:default/bob',
    );
  });

  it('shows the requests but no decisions without batch-jobs.approve', async () => {
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({ items: [request({})] })),
    });
    await render(<ApprovalsList />, api, false);
    expect(
      await screen.findByText(
        /deciding needs the batch-jobs.approve permission/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Approve' })).toBeDisabled();
  });
});

describe('rerun in a VPC that needs four eyes', () => {
  it('shows "waiting for approval" instead of queue progress', async () => {
    const api = createFakeApi({
      rerun: jest.fn(async () => ({
        approvalRequired: true as const,
        requestId: '12345678-0000-4000-8000-000000000000',
        approval: {
          id: '12345678-0000-4000-8000-000000000000',
          status: 'pending' as const,
          expiresAt: '2026-11-03T09:00:00.000Z',
        },
      })),
    });
    await renderWithApis(
      <RerunButton
        entityRef="component:default/payments-settlement"
        vpc="PROD"
        job="PROD/payments-settlement/daily-settlement-report"
        build={build(41, { status: 'failure', result: 'FAILURE' })}
      />,
      { api, permissionApi: fakePermissionApi(true) },
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Rerun build #41' }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: /^Rerun$/ }),
    );
    expect(await within(dialog).findByRole('status')).toHaveTextContent(
      /Waiting for approval: PROD needs a second person.*12345678/,
    );
    expect(api.getQueueItem).not.toHaveBeenCalled();
  });
});
