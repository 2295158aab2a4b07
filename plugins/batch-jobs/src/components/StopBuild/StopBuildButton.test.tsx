import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeApi, entityRef } from '../../__testUtils__/fixtures';
import {
  fakePermissionApi,
  renderWithApis,
  whenEnabled,
} from '../../__testUtils__/render';
import { StopBuildButton } from './StopBuildButton';

const job = 'DEV/push-notifier/DEV-worker';

describe('StopBuildButton', () => {
  it('asks first, then waits until the build has ended and says how', async () => {
    let finish: (v: unknown) => void = () => undefined;
    const api = createFakeApi({
      stopBuild: jest.fn(() => new Promise(resolve => (finish = resolve))),
    });
    const onStopped = jest.fn();
    await renderWithApis(
      <StopBuildButton
        entityRef={entityRef}
        vpc="DEV"
        job={job}
        number={12}
        onStopped={onStopped}
      />,
      { api },
    );
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Stop build #12' }),
      ),
    );
    const dialog = await screen.findByRole('dialog');
    expect(api.stopBuild).not.toHaveBeenCalled();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Stop build' }),
    );
    expect(
      await within(dialog).findByText(/waiting until the build has ended/),
    ).toBeInTheDocument();
    expect(api.stopBuild).toHaveBeenCalledWith({
      vpc: 'DEV',
      job,
      number: 12,
      entityRef,
    });

    finish({
      auditId: 'a',
      vpc: 'DEV',
      job,
      number: 12,
      outcome: 'stopped',
      result: 'ABORTED',
      methods: ['stop', 'term', 'kill'],
    });
    expect(
      await within(dialog).findByText(
        "The build ended as ABORTED after Jenkins' stop → term → kill (it ignored the first stop).",
      ),
    ).toBeInTheDocument();
    expect(onStopped).toHaveBeenCalled();
  });

  it('shows the error when the stop fails', async () => {
    const api = createFakeApi({
      stopBuild: jest.fn(async () => {
        throw new Error(
          "Jenkins 'sandbox' did not end build; it is still running",
        );
      }),
    });
    await renderWithApis(
      <StopBuildButton entityRef={entityRef} vpc="DEV" job={job} number={12} />,
      { api },
    );
    await userEvent.click(
      await whenEnabled(() =>
        screen.getByRole('button', { name: 'Stop build #12' }),
      ),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Stop build',
      }),
    );
    expect(
      await screen.findByText(
        /The stop failed: Jenkins 'sandbox' did not end build/,
      ),
    ).toBeInTheDocument();
  });

  it('is disabled without the permission', async () => {
    await renderWithApis(
      <StopBuildButton
        entityRef="component:default/not-mine-stop"
        vpc="DEV"
        job={job}
        number={12}
      />,
      { api: createFakeApi(), permissionApi: fakePermissionApi(false) },
    );
    const button = screen.getByRole('button', { name: 'Stop build #12' });
    await waitFor(() => expect(button).toBeDisabled());
    await userEvent.hover(button.parentElement!);
    expect(
      await screen.findByText(
        'You are not allowed to stop builds of this entity',
      ),
    ).toBeInTheDocument();
  });
});
