import { AuditEvent } from '@batch-jobs/plugin-batch-jobs-common';
import { screen } from '@testing-library/react';
import { createFakeApi, entityRef } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { AuditList } from './AuditList';

function event(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    id: 'a',
    actor: 'user:default/guest',
    action: 'build.rerun',
    entityRef,
    vpc: 'DEV',
    job: 'DEV/payments-settlement/migrate-ledger',
    target: 'DEV/payments-settlement/migrate-ledger#41',
    parameters: {},
    outcome: 'succeeded',
    detail: {},
    createdAt: new Date(Date.now() - 120_000).toISOString(),
    finishedAt: null,
    ...overrides,
  };
}

describe('AuditList', () => {
  it('lists who did what, newest first, with outcome and detail', async () => {
    const api = createFakeApi({
      getAudit: jest.fn(async () => ({
        items: [
          event({
            id: 'old',
            actor: 'user:default/jane.doe',
            target: 'STG/push-notifier/push-dispatch#7',
            vpc: 'STG',
            outcome: 'failed',
            detail: { error: 'Jenkins refused: job is disabled' },
            createdAt: new Date(Date.now() - 7_200_000).toISOString(),
          }),
          event({
            id: 'new',
            detail: {
              queueItemId: 17,
              buildNumber: 42,
              buildUrl: 'http://jenkins.test/job/x/42/',
              secretParametersFromDefaults: ['DB_PASSWORD'],
            },
          }),
        ],
      })),
    });
    await renderWithApis(<AuditList entityRef={entityRef} />, { api });

    const rows = (await screen.findAllByRole('row')).slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('guest');
    expect(rows[0]).toHaveTextContent('Rerun build');
    expect(rows[0]).toHaveTextContent('DEV/payments-settlement/migrate-ledger#41');
    expect(rows[0]).toHaveTextContent('Succeeded');
    expect(rows[0]).toHaveTextContent(
      'build #42 — secrets from job defaults: DB_PASSWORD',
    );
    expect(
      rows[0].querySelector('a[href="http://jenkins.test/job/x/42/"]'),
    ).not.toBeNull();
    expect(rows[0]).toHaveTextContent('2 min ago');
    expect(rows[1]).toHaveTextContent('jane.doe');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('Jenkins refused: job is disabled');
    expect(api.getAudit).toHaveBeenCalledWith(
      expect.objectContaining({ entityRef }),
    );
  });

  it('shows an empty state and errors', async () => {
    await renderWithApis(<AuditList entityRef={entityRef} />, {
      api: createFakeApi(),
    });
    expect(await screen.findByText('Nothing done yet')).toBeInTheDocument();
  });

  it('shows the error when the audit cannot be read', async () => {
    await renderWithApis(<AuditList entityRef={entityRef} />, {
      api: createFakeApi({
        getAudit: jest.fn(async () => {
          throw new Error('not allowed to read the audit');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/not allowed to read the audit/)).length,
    ).toBeGreaterThan(0);
  });
});
