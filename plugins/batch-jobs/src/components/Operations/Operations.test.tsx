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
} from '@batch-jobs/plugin-batch-jobs-common';
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
    execute: jest.fn(),
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
    review: {
      parameters: {},
      hash: 'ab'.repeat(32),
      hashOf: 'the parameters of PROD/p/daily #3',
    },
    executedAt: null,
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
      'Rerun PROD/p/daily #3: approved by user:default/bob, not run yet',
    );
    // Approving never executes: that is the requester's.
    expect(api.execute).not.toHaveBeenCalled();
  });

  it('shows the approver the exact parameters and the config diff', async () => {
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({
        items: [
          request({
            review: {
              parameters: { MIGRATION_DATE: '2026-11-01', DB_PASSWORD: null },
              hash: 'ab'.repeat(32),
              hashOf: 'the parameters PROD/p/migrate will run with',
            },
          }),
          request({
            id: 'r2',
            action: 'job.promote',
            summary: 'Promote p/daily from DEV to PROD',
            review: {
              configs: [
                {
                  vpc: 'PROD',
                  fullName: 'PROD/p/daily',
                  exists: true,
                  configXml: '<spec>H 5 * * *</spec>',
                  diff: '--- PROD/p/daily/config.xml (now)\n+++ PROD/p/daily/config.xml (from DEV/p/daily)\n@@ -1,1 +1,1 @@\n-<spec>H 2 * * *</spec>\n+<spec>H 5 * * *</spec>',
                },
              ],
              hash: 'cd'.repeat(32),
              hashOf: 'the source config.xml of DEV/p/daily in DEV',
            },
          }),
        ],
      })),
    });
    await render(<ApprovalsList />, api);
    // The table re-renders as identity and permission arrive: wait for
    // them, and find rows afresh.
    await whenEnabled(
      () => screen.getAllByRole('button', { name: 'Approve' })[0],
    );
    const rowOf = async (text: string) =>
      (await screen.findAllByRole('row')).find(r =>
        r.textContent?.includes(text),
      )!;
    await userEvent.click(
      within(await rowOf('Rerun PROD/p/daily')).getByRole('button', {
        name: 'Review',
      }),
    );
    let dialog = await screen.findByRole('dialog');
    const parameters = within(dialog).getByRole('table', {
      name: 'Parameters',
    });
    expect(parameters).toHaveTextContent('MIGRATION_DATE2026-11-01');
    expect(parameters).toHaveTextContent("DB_PASSWORDthe job's default");
    expect(dialog).toHaveTextContent(`sha256 ${'ab'.repeat(6)}…`);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );

    await userEvent.click(
      within(await rowOf('Promote p/daily')).getByRole('button', {
        name: 'Review',
      }),
    );
    dialog = await screen.findByRole('dialog');
    const diff = within(dialog).getByLabelText('Config diff of PROD/p/daily');
    expect(diff).toHaveTextContent('-<spec>H 2 * * *</spec>');
    expect(diff).toHaveTextContent('+<spec>H 5 * * *</spec>');
    expect(dialog).toHaveTextContent('Update PROD/p/daily (PROD)');
  });

  it('offers the requester "Execute" on their approved request, and shows the outcome', async () => {
    const mine = request({
      requestedBy: 'user:default/bob',
      status: 'approved',
      decidedBy: 'user:default/alice',
    });
    let finish: (r: ApprovalRequest) => void = () => {};
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({
        items: [mine, request({ id: 'r2', status: 'approved' })],
      })),
      execute: jest.fn(
        () => new Promise<ApprovalRequest>(resolve => (finish = resolve)),
      ),
    });
    await render(<ApprovalsList />, api);
    // Someone else's approved request: theirs to run, not mine.
    expect(
      await screen.findAllByRole('button', { name: 'Execute' }),
    ).toHaveLength(1);
    const execute = () => screen.getByRole('button', { name: 'Execute' });
    expect(execute().closest('tr')).toHaveTextContent(
      'approved by user:default/alice, not run yet',
    );
    await userEvent.click(execute());
    expect(api.execute).toHaveBeenCalledWith('r1');
    expect(await screen.findByLabelText('Executing')).toBeInTheDocument();
    expect(execute()).toBeDisabled();
    finish(
      request({
        ...mine,
        status: 'completed',
        result: { state: 'queued' },
      }),
    );
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Rerun PROD/p/daily #3: approved by user:default/alice, done',
    );
  });

  it('shows why an execution was refused', async () => {
    const api = fakeOperationsApi({
      listApprovals: jest.fn(async () => ({
        items: [
          request({
            requestedBy: 'user:default/bob',
            status: 'approved',
            decidedBy: 'user:default/alice',
          }),
        ],
      })),
      execute: jest.fn(async () => {
        throw Object.assign(new Error('Request failed with 409'), {
          body: {
            error: {
              message:
                'The source DEV/p/daily in DEV changed since the request (hash abababababab… reviewed, cdcdcdcdcdcd… now); nothing was written, ask again',
            },
          },
        });
      }),
    });
    await render(<ApprovalsList />, api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Execute' }),
    );
    expect(
      await screen.findByText(/changed since the request \(hash abababababab/),
    ).toBeInTheDocument();
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
