import {
  getDefaultNormalizer,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  JobConfigVersion,
  JobConfigVersionResponse,
  RestoreJobConfigResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobConfigApi } from '../../api/BatchJobConfigApi';
import { createFakeApi, entityRef, job } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { JobView } from './JobView';

const FULL_NAME = 'PROD/payments-settlement/migrate-ledger';
const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';

const version = (over: Partial<JobConfigVersion>): JobConfigVersion => ({
  id: V1,
  vpc: 'PROD',
  job: FULL_NAME,
  sha256: 'ab'.repeat(32),
  size: 120,
  createdAt: '2026-11-02T09:00:00.000Z',
  actor: 'user:default/jane',
  action: 'job.update',
  auditId: 'aaaaaaaa-0000-4000-8000-000000000001',
  approvalId: null,
  entityRef,
  restoredVersionId: null,
  ...over,
});

const VERSIONS = [
  version({
    id: V2,
    createdAt: '2026-11-03T09:00:00.000Z',
    actor: 'user:default/bob',
    action: 'job.restore',
    auditId: 'bbbbbbbb-0000-4000-8000-000000000002',
    approvalId: 'cccccccc-0000-4000-8000-000000000003',
    restoredVersionId: V1,
  }),
  version({}),
];

const DETAIL: JobConfigVersionResponse = {
  version: VERSIONS[1],
  configXml: '<flow-definition>\n  <spec>H 2 * * *</spec>\n</flow-definition>',
  jobExists: true,
  diff: `--- ${FULL_NAME}/config.xml (now)\n+++ ${FULL_NAME}/config.xml (version of 2026-11-02T09:00:00.000Z)\n@@ -1,3 +1,3 @@\n <flow-definition>\n-  <spec>H 4 * * *</spec>\n+  <spec>H 2 * * *</spec>\n </flow-definition>`,
};

function historyApi(
  restore: BatchJobConfigApi['restoreConfig'] = async () => ({
    auditId: 'dddddddd-0000-4000-8000-000000000004',
    vpc: 'PROD',
    job: FULL_NAME,
    versionId: V1,
    action: 'restored',
    sha256: 'ab'.repeat(32),
    replacedVersionId: V2,
  }),
) {
  return {
    getConfigHistory: jest.fn(async ({ vpc, job: fullName }) => ({
      vpc,
      job: fullName,
      items: VERSIONS,
      keep: 50,
    })) as jest.MockedFunction<BatchJobConfigApi['getConfigHistory']>,
    getConfigVersion: jest.fn(async () => DETAIL),
    restoreConfig: jest.fn(restore),
  };
}

async function renderView(api = historyApi(), allowed = true) {
  const onJobChanged = jest.fn();
  await renderWithApis(
    <JobView
      entityRef={entityRef}
      vpc="PROD"
      job={FULL_NAME}
      summary={job('PROD', 'migrate-ledger')}
      onSelectBuild={jest.fn()}
      onJobChanged={onJobChanged}
    />,
    {
      api: createFakeApi(),
      jobConfigApi: api,
      permissionApi: fakePermissionApi(allowed),
    },
  );
  return { api, onJobChanged };
}

async function openHistory() {
  await userEvent.click(screen.getByRole('button', { name: /Config history/ }));
  return screen.findByText('replaced by an update (audit aaaaaaaa)');
}

const restoreButton = () =>
  screen.getByRole('button', {
    name: `Restore the version of ${new Date(
      '2026-11-02T09:00:00.000Z',
    ).toLocaleString()}`,
  });

describe('JobView config history', () => {
  it('loads when opened and lists who, when and why', async () => {
    const { api } = await renderView();
    expect(api.getConfigHistory).not.toHaveBeenCalled();
    await openHistory();
    expect(api.getConfigHistory).toHaveBeenCalledWith({
      vpc: 'PROD',
      job: FULL_NAME,
    });
    expect(
      screen.getByText(
        'replaced by a restore of version 11111111 (audit bbbbbbbb) approved in request cccccccc',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('bob')).toBeInTheDocument();
    expect(screen.getByText('jane')).toBeInTheDocument();
    expect(screen.getByText(/the newest 50 per job/)).toBeInTheDocument();
  });

  it('shows a version with its diff from the current config and its XML', async () => {
    const { api } = await renderView();
    await openHistory();
    await userEvent.click(screen.getAllByRole('button', { name: 'View' })[1]);
    const diff = await screen.findByLabelText(
      'Diff from the current config to version 11111111',
    );
    expect(api.getConfigVersion).toHaveBeenCalledWith(V1);
    const exact = {
      normalizer: getDefaultNormalizer({ collapseWhitespace: false }),
    };
    // Removed and added lines, coloured as such.
    expect(
      within(diff).getByText('-  <spec>H 4 * * *</spec>', exact).className,
    ).toMatch(/removed/);
    expect(
      within(diff).getByText('+  <spec>H 2 * * *</spec>', exact).className,
    ).toMatch(/added/);
    expect(
      screen.getByLabelText('config.xml of version 11111111'),
    ).toHaveTextContent('<spec>H 2 * * *</spec>');
  });

  it('restores after confirmation, then refreshes the history and the job', async () => {
    const { api, onJobChanged } = await renderView();
    await openHistory();
    await userEvent.click(await whenEnabled(restoreButton));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent(/kept in this history first/);
    expect(api.restoreConfig).not.toHaveBeenCalled();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Restore' }),
    );
    expect(await within(dialog).findByRole('status')).toHaveTextContent(
      `${FULL_NAME} has the config of ${new Date(
        '2026-11-02T09:00:00.000Z',
      ).toLocaleString()} again (audit dddddddd)`,
    );
    expect(api.restoreConfig).toHaveBeenCalledWith({
      vpc: 'PROD',
      job: FULL_NAME,
      versionId: V1,
      entityRef,
    });
    await waitFor(() => expect(api.getConfigHistory).toHaveBeenCalledTimes(2));
    expect(onJobChanged).toHaveBeenCalledTimes(1);
  });

  it('shows progress while restoring, and says clearly that a held restore waits for approval', async () => {
    let answer: (value: RestoreJobConfigResponse | any) => void = () => {};
    const api = historyApi(
      () =>
        new Promise(resolve => {
          answer = resolve;
        }),
    );
    const { onJobChanged } = await renderView(api);
    await openHistory();
    await userEvent.click(await whenEnabled(restoreButton));
    const dialog = screen.getByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Restore' }),
    );
    expect(within(dialog).getByText('Restoring…')).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Restore' }),
    ).toBeDisabled();
    answer({
      approvalRequired: true,
      requestId: 'eeeeeeee-0000-4000-8000-000000000005',
      approval: {
        id: 'eeeeeeee-0000-4000-8000-000000000005',
        status: 'pending',
        expiresAt: '2026-11-04T09:00:00.000Z',
      },
    });
    const status = await within(dialog).findByRole('status');
    expect(status).toHaveTextContent(
      /Waiting for approval: PROD needs a second person/,
    );
    expect(status).toHaveTextContent(/request eeeeeeee/);
    expect(status).toHaveTextContent(/Nothing was written yet/);
    // Nothing changed: neither the history nor the job is refreshed.
    expect(api.getConfigHistory).toHaveBeenCalledTimes(1);
    expect(onJobChanged).not.toHaveBeenCalled();
  });

  it('shows the reason of a failed restore and keeps the dialog open', async () => {
    const api = historyApi(async () => {
      throw Object.assign(new Error('Request failed with 409'), {
        body: {
          error: {
            message: `The target ${FULL_NAME} changed since the request; nothing was written, ask again`,
          },
        },
      });
    });
    await renderView(api);
    await openHistory();
    await userEvent.click(await whenEnabled(restoreButton));
    const dialog = screen.getByRole('dialog');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Restore' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      `The restore failed: The target ${FULL_NAME} changed since the request; nothing was written, ask again`,
    );
    expect(
      within(dialog).getByRole('button', { name: 'Restore' }),
    ).toBeEnabled();
  });

  it('disables Restore without the job update permission', async () => {
    const { api } = await renderView(historyApi(), false);
    await openHistory();
    await waitFor(() => expect(restoreButton()).toBeDisabled());
    expect(api.restoreConfig).not.toHaveBeenCalled();
  });
});
