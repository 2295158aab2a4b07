import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { BuildStagesResponse } from '@batch-jobs/plugin-batch-jobs-common';
import { createFakeApi, entityRef } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { BuildStages } from './BuildStages';

const job = 'DEV/orders/multibranch/main';
const build = { vpc: 'DEV', job, number: 7 };
const at = (ms: number) =>
  new Date(Date.UTC(2026, 10, 2, 9, 0) + ms).toISOString();

const failedRun: BuildStagesResponse = {
  ...build,
  pipeline: true,
  status: 'failed',
  stages: [
    {
      id: '6',
      name: 'Build',
      status: 'success',
      startedAt: at(0),
      durationMs: 30_000,
      pauseDurationMs: 0,
    },
    {
      id: '8',
      name: 'Test',
      status: 'failed',
      startedAt: at(30_000),
      durationMs: 60_000,
      pauseDurationMs: 0,
      branches: [
        {
          id: '10',
          name: 'unit',
          status: 'success',
          startedAt: at(30_000),
          durationMs: 20_000,
          pauseDurationMs: 0,
        },
        {
          id: '12',
          name: 'integration',
          status: 'failed',
          startedAt: at(30_000),
          durationMs: 60_000,
          pauseDurationMs: 0,
        },
      ],
    },
  ],
  failedStage: { id: '12', name: 'integration', status: 'failed' },
  pendingInputs: [],
};

const waitingRun: BuildStagesResponse = {
  ...build,
  pipeline: true,
  status: 'paused_pending_input',
  stages: [
    {
      id: '6',
      name: 'Build',
      status: 'success',
      startedAt: at(0),
      durationMs: 30_000,
      pauseDurationMs: 0,
    },
    {
      id: '14',
      name: 'Approve',
      status: 'paused_pending_input',
      startedAt: at(30_000),
      durationMs: 5_000,
      pauseDurationMs: 5_000,
    },
  ],
  pendingInputs: [
    {
      id: 'Deploy',
      message: 'Deploy orders to DEV?',
      proceedText: 'Deploy',
      parameters: [
        {
          name: 'STRATEGY',
          type: 'choice',
          description: 'How the release rolls out',
          default: 'rolling',
          choices: ['rolling', 'blue-green'],
        },
      ],
    },
  ],
};

describe('BuildStages', () => {
  it('shows stages with parallel branches, highlights the failed one and opens its log', async () => {
    const api = createFakeApi({
      getBuildStages: jest.fn(async () => failedRun),
      getStageLog: jest.fn(async () => ({
        id: '12',
        name: 'integration',
        status: 'failed',
        text: 'ERROR: script returned exit code 1\n',
        hasMore: false,
      })),
    });
    await renderWithApis(<BuildStages build={build} entityRef={entityRef} />, {
      api,
    });
    expect(
      await screen.findByText('Failed in stage integration'),
    ).toBeInTheDocument();
    const branches = screen.getByLabelText('Parallel branches of Test');
    expect(within(branches).getByText('unit')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Stage integration: Failed' }),
    );
    expect(
      await screen.findByLabelText('Log of stage integration'),
    ).toHaveTextContent('ERROR: script returned exit code 1');
    expect(api.getStageLog).toHaveBeenCalledWith({ ...build, stage: '12' });
  });

  it('renders nothing for a freestyle build', async () => {
    const api = createFakeApi();
    await renderWithApis(<BuildStages build={build} entityRef={entityRef} />, {
      api,
    });
    await waitFor(() => expect(api.getBuildStages).toHaveBeenCalled());
    expect(screen.queryByText('Stages')).not.toBeInTheDocument();
  });

  it('proceeds an input with the chosen parameter, and says so after the input is gone', async () => {
    // Jenkins' answer before and after the input was proceeded.
    const goesOn: BuildStagesResponse = {
      ...waitingRun,
      status: 'in_progress',
      pendingInputs: [],
    };
    const api = createFakeApi({
      getBuildStages: jest
        .fn()
        .mockResolvedValueOnce(waitingRun)
        .mockResolvedValue(goesOn),
      submitInput: jest.fn(async () => ({
        auditId: 'a',
        ...build,
        inputId: 'Deploy',
        action: 'proceed',
      })),
    });
    const onChanged = jest.fn();
    await renderWithApis(
      <BuildStages build={build} entityRef={entityRef} onChanged={onChanged} />,
      {
        api,
        permissionApi: fakePermissionApi(true),
      },
    );
    expect(
      await screen.findByText('Waiting for input: Deploy orders to DEV?'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('STRATEGY'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'blue-green' }),
    );
    await userEvent.click(
      await whenEnabled(() => screen.getByRole('button', { name: 'Deploy' })),
    );
    expect(
      await screen.findByText(/Proceeded: the build goes on/),
    ).toBeInTheDocument();
    // The stages are read again: the input is no longer pending, its form
    // goes, and the confirmation stays.
    await waitFor(() =>
      expect(
        screen.queryByText('Waiting for input: Deploy orders to DEV?'),
      ).not.toBeInTheDocument(),
    );
    expect(api.getBuildStages).toHaveBeenCalledTimes(2);
    expect(screen.getByRole('status')).toHaveTextContent(
      /Proceeded: the build goes on/,
    );
    expect(api.submitInput).toHaveBeenCalledWith({
      ...build,
      inputId: 'Deploy',
      action: 'proceed',
      parameters: { STRATEGY: 'blue-green' },
      entityRef,
    });
    expect(onChanged).toHaveBeenCalled();
  });

  it('disables Proceed and Abort without batch-jobs.input.submit', async () => {
    const api = createFakeApi({
      getBuildStages: jest.fn(async () => waitingRun),
    });
    await renderWithApis(<BuildStages build={build} entityRef={entityRef} />, {
      api,
      permissionApi: fakePermissionApi(false),
    });
    await screen.findByText('Waiting for input: Deploy orders to DEV?');
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Abort' })).toBeDisabled(),
    );
    expect(screen.getByRole('button', { name: 'Deploy' })).toBeDisabled();
  });
});
