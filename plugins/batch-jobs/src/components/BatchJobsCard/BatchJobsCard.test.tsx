import { screen } from '@testing-library/react';
import { createFakeApi, jobsResponse } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { BatchJobsCard } from './BatchJobsCard';

describe('BatchJobsCard', () => {
  it('lists recent failures across VPCs with links into the tab', async () => {
    await renderWithApis(<BatchJobsCard />, { api: createFakeApi() });

    expect(await screen.findByText('2 failing (4 jobs in DEV, STG, PROD)')).toBeInTheDocument();
    const link = screen.getByRole('link', { name: 'daily-settlement-report' });
    expect(link.getAttribute('href')).toContain(
      'batch-jobs?vpc=DEV&job=DEV%2Fpayments-settlement%2Fdaily-settlement-report&build=40',
    );
    // An unreadable VPC counts as a failure and says why.
    expect(
      screen.getByText('Jenkins instance prod-jenkins is unreachable'),
    ).toBeInTheDocument();
    expect(screen.queryByText('migrate-ledger')).toBeNull();
  });

  it('says when everything passed', async () => {
    const response = jobsResponse();
    response.vpcs = response.vpcs.slice(1, 2);
    await renderWithApis(<BatchJobsCard />, {
      api: createFakeApi({ getEntityJobs: jest.fn(async () => response) }),
    });
    expect(
      await screen.findByText('All 1 jobs in STG passed their last run.'),
    ).toBeInTheDocument();
  });

  it('shows the error when jobs cannot be read', async () => {
    await renderWithApis(<BatchJobsCard />, {
      api: createFakeApi({
        getEntityJobs: jest.fn(async () => {
          throw new Error('backend down');
        }),
      }),
    });
    expect((await screen.findAllByText(/backend down/)).length).toBeGreaterThan(0);
  });
});
