import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  build,
  createFakeApi,
  entity,
  jobsResponse,
} from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { BatchJobsContent } from './BatchJobsContent';

describe('BatchJobsContent', () => {
  it('shows one tab per VPC with job counts, failures and the jobs table', async () => {
    const api = createFakeApi();
    await renderWithApis(<BatchJobsContent />, { api });

    expect(api.getEntityJobs).toHaveBeenCalledWith(
      'component:default/payments-settlement',
    );
    const tabs = await screen.findAllByRole('tab');
    expect(tabs.map(t => t.textContent)).toEqual([
      'DEV (3)1',
      'STG (1)',
      'PROD!',
      'Audit',
    ]);
    expect(tabs[0]).toHaveAttribute('aria-selected', 'true');

    const rows = screen.getAllByRole('row');
    const failed = rows.find(r =>
      r.textContent?.includes('daily-settlement-report'),
    )!;
    expect(within(failed).getByText('Failed')).toBeInTheDocument();
    expect(within(failed).getByText('H 2 * * *')).toBeInTheDocument();
    expect(within(failed).getByText('timer')).toBeInTheDocument();

    const migrate = rows.find(r =>
      r.textContent?.includes('DEV/payments-settlement/migrate-ledger'),
    )!;
    expect(within(migrate).getByText('manual')).toBeInTheDocument();
    expect(within(migrate).getByTestId('portal-cause')).toHaveTextContent(
      'jane.doe via portal',
    );

    const running = rows.find(r =>
      r.textContent?.includes('settlement-reconcile'),
    )!;
    expect(within(running).getByText('Running')).toBeInTheDocument();
    expect(within(running).getByText('Jane Doe')).toBeInTheDocument();
  });

  it('shows a broken VPC as an error in its own tab while the others work', async () => {
    await renderWithApis(<BatchJobsContent />, { api: createFakeApi() });

    await userEvent.click(await screen.findByRole('tab', { name: /PROD/ }));
    expect(
      await screen.findByText(/Could not read the jobs of PROD/),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: /STG/ }));
    expect(await screen.findByText('Jobs in STG')).toBeInTheDocument();
    expect(screen.queryByText(/Could not read the jobs of PROD/)).toBeNull();
  });

  it('opens a job from the table and its builds', async () => {
    const api = createFakeApi({
      getBuilds: jest.fn(async () => ({
        items: [build(41, { status: 'failure', result: 'FAILURE' }), build(40)],
      })),
    });
    await renderWithApis(<BatchJobsContent />, { api });

    await userEvent.click(
      await screen.findByRole('link', { name: 'migrate-ledger' }),
    );

    expect(
      await screen.findByText('Builds of migrate-ledger'),
    ).toBeInTheDocument();
    expect(api.getBuilds).toHaveBeenCalledWith(
      expect.objectContaining({
        vpc: 'DEV',
        job: 'DEV/payments-settlement/migrate-ledger',
      }),
    );
    expect(screen.getByText('#41')).toBeInTheDocument();
  });

  it('opens a deep link to a build with its log', async () => {
    const api = createFakeApi({
      getBuilds: jest.fn(async () => ({ items: [build(7)] })),
      getLogChunk: jest.fn(async () => ({
        text: 'Finished: SUCCESS\n',
        start: 0,
        end: 18,
        size: 18,
        moreData: false,
      })),
    });
    await renderWithApis(<BatchJobsContent />, {
      api,
      routeEntries: [
        '/?vpc=STG&job=STG%2Fpayments-settlement%2Fdaily-settlement-report&build=7',
      ],
    });

    expect(await screen.findByText('Console log of #7')).toBeInTheDocument();
    expect(await screen.findByTestId('build-log')).toHaveTextContent(
      'Finished: SUCCESS',
    );
    expect(api.getLogChunk).toHaveBeenCalledWith({
      vpc: 'STG',
      job: 'STG/payments-settlement/daily-settlement-report',
      number: 7,
      tail: 256 * 1024,
    });
    expect(screen.getByRole('tab', { name: /STG/ })).toHaveAttribute(
      'aria-selected',
      'true',
    );
  });

  it('shows the audit sub-tab', async () => {
    const api = createFakeApi();
    await renderWithApis(<BatchJobsContent />, { api });
    await userEvent.click(await screen.findByRole('tab', { name: 'Audit' }));
    expect(await screen.findByText('Nothing done yet')).toBeInTheDocument();
    expect(api.getAudit).toHaveBeenCalledWith(
      expect.objectContaining({
        entityRef: 'component:default/payments-settlement',
      }),
    );
  });

  it('explains the annotation when the entity has none', async () => {
    const api = createFakeApi();
    await renderWithApis(<BatchJobsContent />, {
      api,
      entity: { ...entity, metadata: { name: 'plain', namespace: 'default' } },
    });
    expect(
      (await screen.findAllByText(/batch-jobs\.io\/jobs/)).length,
    ).toBeGreaterThan(0);
    expect(api.getEntityJobs).not.toHaveBeenCalled();
  });

  it('shows an empty state for a VPC where the annotation matches nothing', async () => {
    const response = jobsResponse();
    response.vpcs[0].jobs = [];
    await renderWithApis(<BatchJobsContent />, {
      api: createFakeApi({ getEntityJobs: jest.fn(async () => response) }),
    });
    expect(await screen.findByText('No jobs in DEV')).toBeInTheDocument();
  });

  it('reads the jobs of an entity named by the community annotation only, and explains that annotation when it matches nothing', async () => {
    const response = jobsResponse();
    response.vpcs[0].jobs = [];
    const api = createFakeApi({ getEntityJobs: jest.fn(async () => response) });
    await renderWithApis(<BatchJobsContent />, {
      api,
      entity: {
        ...entity,
        metadata: {
          name: 'payments-settlement',
          namespace: 'default',
          annotations: {
            'jenkins.io/job-full-name': 'sandbox:DEV/payments-settlement',
          },
        },
      },
    });
    expect(await screen.findByText('No jobs in DEV')).toBeInTheDocument();
    expect(
      screen.getByText(
        /The annotation jenkins\.io\/job-full-name: "sandbox:DEV\/payments-settlement" matches no job in DEV/,
      ),
    ).toBeInTheDocument();
    expect(api.getEntityJobs).toHaveBeenCalledWith(
      'component:default/payments-settlement',
    );
  });

  it('shows the error when the jobs cannot be read', async () => {
    await renderWithApis(<BatchJobsContent />, {
      api: createFakeApi({
        getEntityJobs: jest.fn(async () => {
          throw new Error('Batch jobs backend unavailable');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/Batch jobs backend unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
