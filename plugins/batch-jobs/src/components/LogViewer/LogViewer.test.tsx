import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakeApi } from '../../__testUtils__/fixtures';
import { renderWithApis } from '../../__testUtils__/render';
import { LogViewer } from './LogViewer';

const ref = { vpc: 'DEV', job: 'DEV/push-notifier/DEV-worker', number: 12 };

describe('LogViewer', () => {
  it('opens at the tail, then polls from the end it reached until the log is complete', async () => {
    let finish: (chunk: unknown) => void = () => {};
    const api = createFakeApi({
      getLogChunk: jest
        .fn()
        .mockResolvedValueOnce({
          text: 'Started by timer\nRunning on i-0abc',
          start: 0,
          end: 34,
          size: 34,
          moreData: true,
        })
        .mockResolvedValueOnce({
          text: '',
          start: 34,
          end: 34,
          size: 34,
          moreData: true,
        })
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
      start: 34,
      end: 62,
      size: 62,
      moreData: false,
    });
    await screen.findByText('Log complete');
    expect(screen.getByTestId('build-log').textContent).toBe(
      'Started by timer\nRunning on i-0abc-EC2-AGENT\nFinished: SUCCESS',
    );
    const calls = api.getLogChunk.mock.calls.map(call => call[0]);
    expect(calls[0]).toEqual({ ...ref, tail: 256 * 1024 });
    expect(calls.slice(1)).toEqual([
      { ...ref, start: 34, limit: 1024 * 1024 },
      { ...ref, start: 34, limit: 1024 * 1024 },
    ]);
    // The whole log is on screen: no range to announce.
    expect(screen.queryByText(/Showing bytes/)).not.toBeInTheDocument();

    // No polling once Jenkins says the log is complete.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(api.getLogChunk).toHaveBeenCalledTimes(3);
  });

  it('shows where the window is in a huge log and loads earlier blocks on demand', async () => {
    const line = (i: number) => `line ${String(i).padStart(6, '0')}\n`; // 12 bytes
    const lines = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => line(from + i)).join('');
    const size = 12 * 1_000_000;
    const api = createFakeApi({
      getLogChunk: jest.fn(async (request: any) => {
        if ('tail' in request) {
          return {
            text: lines(999_990, 1_000_000),
            start: size - 120,
            end: size,
            size,
            moreData: false,
          };
        }
        // A block before the window, beginning mid-line.
        const text = `567\n${lines((request.start + 4) / 12, 999_990)}`;
        expect(request.start + request.limit).toBe(size - 120);
        return {
          text,
          start: request.start,
          end: size - 120,
          size,
          moreData: false,
        };
      }),
    });
    await renderWithApis(<LogViewer build={ref} maxLines={15} />, { api });

    expect(
      await screen.findByText(
        'Showing bytes 11,999,880–12,000,000 of 12,000,000 (120 B, 10 lines)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId('build-log').textContent).toBe(
      lines(999_990, 1_000_000).trimEnd(),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Load earlier' }));
    await screen.findByText('Earlier part of the log');
    const shown = screen.getByTestId('build-log').textContent!.split('\n');
    // Window of 15 lines: the earliest ones, the end dropped (no partial line).
    expect(shown).toEqual(lines(978_145, 978_160).trimEnd().split('\n'));
    expect(
      screen.getByText(
        'Showing bytes 11,737,740–11,737,920 of 12,000,000 (180 B, 15 lines)',
      ),
    ).toBeInTheDocument();
    const earlier = api.getLogChunk.mock.calls[1][0] as any;
    expect(earlier).toEqual({
      ...ref,
      start: size - 120 - 256 * 1024,
      limit: 256 * 1024,
    });

    // Back to the end: the tail again.
    await userEvent.click(screen.getByRole('button', { name: 'Jump to end' }));
    await screen.findByText('Log complete');
    expect(api.getLogChunk).toHaveBeenLastCalledWith({
      ...ref,
      tail: 256 * 1024,
    });
    expect(screen.getByTestId('build-log').textContent).toBe(
      lines(999_990, 1_000_000).trimEnd(),
    );
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
