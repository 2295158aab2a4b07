import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { BatchJobConfigApi } from '../../api/BatchJobConfigApi';
import { createFakeApi, entityRef, job } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { JobsTable } from '../JobsTable';
import { JobView } from '../JobView';
import { updateAdvice } from './JobTemplate';

const FULL_NAME = 'DEV/payments-settlement/legacy-import';
const OUTDATED = { version: 1, current: 2, outdated: true };
const CURRENT = { version: 2, current: 2, outdated: false };

const spec = {
  folder: 'payments-settlement',
  name: 'legacy-import',
  schedule: 'H 3 * * *',
  agentType: 'batch' as const,
  parameters: [{ name: 'RUN_DATE', type: 'string' as const, defaultValue: 'yesterday' }],
  application: 'payments-batch',
  batchName: 'import-settlements',
};

function templateApi(
  update: BatchJobConfigApi['updateJobs'] = async () => ({
    dryRun: false,
    jobs: [
      {
        vpc: 'DEV',
        fullName: FULL_NAME,
        action: 'updated',
        url: '',
        configXml: '<flow-definition/>',
        auditId: 'audit-7',
      },
    ],
  }),
) {
  return {
    compareJob: jest.fn(),
    promoteJob: jest.fn(),
    getTemplateSpec: jest.fn(async ({ vpc, job: fullName }: { vpc: string; job: string }) => ({
      vpc,
      fullName,
      template: OUTDATED,
      spec,
    })),
    updateJobs: jest.fn(update),
    // The job view also shows the config history: none here.
    getConfigHistory: jest.fn(async ({ vpc, job: fullName }: { vpc: string; job: string }) => ({
      vpc,
      job: fullName,
      items: [],
      keep: 50,
    })),
    getConfigVersion: jest.fn(),
    restoreConfig: jest.fn(),
  };
}

function renderView(template: typeof OUTDATED | undefined, jobConfigApi = templateApi(), allowed = true) {
  return renderWithApis(
    <JobView
      entityRef={entityRef}
      vpc="DEV"
      job={FULL_NAME}
      summary={job('DEV', 'legacy-import', template ? { template } : {})}
      onSelectBuild={jest.fn()}
    />,
    { api: createFakeApi(), jobConfigApi, permissionApi: fakePermissionApi(allowed) },
  );
}

describe('template versions in the jobs table and the job view', () => {
  it('names a template other than the standard one in its advice', () => {
    expect(
      updateAdvice({ version: 1, current: 3, outdated: true, template: 'nightly-etl' }),
    ).toBe(
      'This job was created with version 1 of the job template “nightly-etl”; the current version is 3. To update it, use “Update to template v3” in the job\'s view.',
    );
  });

  it('marks only jobs of an older template as outdated, with how to update them', async () => {
    await renderWithApis(
      <JobsTable
        vpc="DEV"
        entityRef={entityRef}
        jobs={[
          job('DEV', 'legacy-import', { template: OUTDATED }),
          job('DEV', 'current-import', { template: CURRENT }),
          job('DEV', 'hand-written'),
        ]}
      />,
      { api: createFakeApi() },
    );
    const chips = await screen.findAllByText('outdated template (v1 → v2)');
    expect(chips).toHaveLength(1);
    expect(chips[0].closest('tr')).toHaveTextContent('DEV/payments-settlement/legacy-import');

    await userEvent.hover(chips[0]);
    const tooltip = await screen.findByRole('tooltip');
    expect(tooltip).toHaveTextContent('created with version 1 of the standard batch pipeline template; the current version is 2');
    expect(tooltip).toHaveTextContent('“Update to template v2” in the job\'s view');
    expect(tooltip).toHaveTextContent('re-run the “New batch job” Software Template for this job with “update” checked');
  });

  it('updates an outdated job from what its config.xml says, after confirmation', async () => {
    const api = templateApi();
    await renderView(OUTDATED, api);
    expect(screen.getByText('outdated template (v1 → v2)')).toBeInTheDocument();
    await userEvent.click(
      await whenEnabled(() => screen.getByRole('button', { name: 'Update to template v2' })),
    );
    const dialog = await screen.findByRole('dialog');
    expect(api.getTemplateSpec).toHaveBeenCalledWith({ vpc: 'DEV', job: FULL_NAME });
    expect(await within(dialog).findByText(/Batch import-settlements of payments-batch on batch agents/)).toBeInTheDocument();
    expect(dialog).toHaveTextContent('Parameters: RUN_DATE (string)');
    expect(api.updateJobs).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Update' }));
    expect(api.updateJobs).toHaveBeenCalledWith({ ...spec, vpcs: ['DEV'], entityRef });
    expect(
      await screen.findByText(`${FULL_NAME} updated with template v2 (audit audit-7).`),
    ).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('shows that the update waits for approval where the VPC requires it', async () => {
    const api = templateApi(async () => ({
      approvalRequired: true,
      requestId: 'req-42',
      approval: { id: 'req-42', status: 'pending', expiresAt: '2026-11-03T09:00:00.000Z' },
    }));
    await renderView(OUTDATED, api);
    await userEvent.click(
      await whenEnabled(() => screen.getByRole('button', { name: 'Update to template v2' })),
    );
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText(/Schedule: H 3 \* \* \*/);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Update' }));
    expect(
      await screen.findByText(
        `The update of ${FULL_NAME} to template v2 waits for a second person's approval (request req-42).`,
      ),
    ).toBeInTheDocument();
  });

  it('shows why a job cannot be read back, and offers no update to current or hand-written jobs', async () => {
    const api = templateApi();
    api.getTemplateSpec.mockRejectedValueOnce(
      new Error("Job 'payments-settlement/legacy-import' in VPC 'DEV' cannot be updated from its configuration: agent label 'gpu' is neither DEV-batch-agent nor DEV-worker-agent"),
    );
    const { unmount } = await renderView(OUTDATED, api);
    await userEvent.click(
      await whenEnabled(() => screen.getByRole('button', { name: 'Update to template v2' })),
    );
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/agent label 'gpu' is neither/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Update' })).toBeDisabled();
    unmount();

    for (const template of [CURRENT, undefined]) {
      const { unmount: done } = await renderView(template as any);
      expect(await screen.findByText('legacy-import')).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: /Update to template/ })).toBeNull();
      expect(screen.queryByText(/outdated template/)).toBeNull();
      done();
    }
  });

  it('disables the update without batch-jobs.job.create', async () => {
    await renderView(OUTDATED, templateApi(), false);
    const button = await screen.findByRole('button', { name: 'Update to template v2' });
    await waitFor(() => expect(button).toBeDisabled());
  });
});
