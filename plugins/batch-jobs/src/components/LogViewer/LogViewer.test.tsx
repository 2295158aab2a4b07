import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeApi } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { LogViewer } from './LogViewer';

const ref = { vpc: 'DEV', job: 'DEV/push-notifier/DEV-worker', number: 12 };

describe('LogViewer', () => {
  it('appends chunks from the last offset and stops when there is no more data', async () => {
    let finish: (chunk: unknown) => void = () => {};
    const api = createFakeApi({
      getLogChunk: jest
        .fn()
        .mockResolvedValueOnce({
          text: 'Started by timer\nRunning on i-0abc',
          textSize: 34,
          moreData: true,
        })
        .mockResolvedValueOnce({ text: '', textSize: 34, moreData: true })
        // The build is still running until the test says otherwise.
        .mockReturnValueOnce(new Promise(resolve => (finish = resolve))),
    });
    await renderWithApis(<LogViewer build={ref} />, { api });

    await waitFor(() => expect(api.getLogChunk).toHaveBeenCalledTimes(3));
    expect(screen.getByText('Following live…')).toBeInTheDocument();
    expect(screen.getByTestId('build-log').textContent).toBe(
      'Started by timer\nRunning on i-0abc',
    );

    finish({
      text: '-EC2-AGENT\nFinished: SUCCESS\n',
      textSize: 62,
      moreData: false,
    });
    await screen.findByText('Log complete');
    expect(screen.getByTestId('build-log').textContent).toBe(
      'Started by timer\nRunning on i-0abc-EC2-AGENT\nFinished: SUCCESS',
    );
    expect(api.getLogChunk.mock.calls.map(call => call[0].start)).toEqual([
      0, 34, 34,
    ]);

    // No polling once Jenkins says the log is complete.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(api.getLogChunk).toHaveBeenCalledTimes(3);
  });

  it('keeps only the last lines of a huge log and says so', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    const api = createFakeApi({
      getLogChunk: jest.fn(async () => ({
        text: `${lines.join('\n')}\n`,
        textSize: 100_000,
        moreData: false,
      })),
    });
    await renderWithApis(<LogViewer build={ref} maxLines={50} />, { api });

    expect(
      await screen.findByText(/Showing the last 50 lines — download the full log to see the 70 earlier ones/),
    ).toBeInTheDocument();
    const text = screen.getByTestId('build-log').textContent!;
    expect(text.split('\n')).toHaveLength(50);
    expect(text.startsWith('line 71\n')).toBe(true);
    expect(text.endsWith('line 120')).toBe(true);
  });

  it('downloads the full log through the API as a file', async () => {
    const blob = new Blob(['whole log']);
    const api = createFakeApi({ downloadLog: jest.fn(async () => blob) });
    const createObjectURL = jest.fn(() => 'blob:log');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function checkAnchor(this: HTMLAnchorElement) {
        expect(this.download).toBe('DEV-DEV-worker-12.log');
        expect(this.href).toBe('blob:log');
      });

    await renderWithApis(<LogViewer build={ref} />, { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Download full log' }),
    );

    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(api.downloadLog).toHaveBeenCalledWith(ref);
    expect(createObjectURL).toHaveBeenCalledWith(blob);
    click.mockRestore();
  });

  it('shows the error when the log cannot be read', async () => {
    const api = createFakeApi({
      getLogChunk: jest.fn(async () => {
        throw new Error('Build #12 not found');
      }),
    });
    await renderWithApis(<LogViewer build={ref} />, { api });
    expect(
      (await screen.findAllByText(/Build #12 not found/)).length,
    ).toBeGreaterThan(0);
  });
});
