import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { NODE, fakeApi, largeFleet, render } from '../../__testUtils__/fleet';
import { whenEnabled } from '../../__testUtils__/render';

describe('BatchFleet', () => {
  it('shows totals, agents with their EC2 state and why they are offline, and the queue', async () => {
    await render(fakeApi());
    expect(await screen.findByText('STG agents')).toBeInTheDocument();
    const totals = screen.getByLabelText('STG totals');
    expect(within(totals).getByText('3 online')).toBeInTheDocument();
    expect(within(totals).getByText('2 offline')).toBeInTheDocument();
    expect(screen.getByText(NODE)).toBeInTheDocument();
    expect(screen.getByText('1/1 busy')).toBeInTheDocument();
    expect(screen.getByText('STG » push-notifier » STG-worker #7')).toBeInTheDocument();
    expect(screen.getByText('temporarily offline: paused for maintenance')).toBeInTheDocument();
    expect(screen.getAllByText('running')).toHaveLength(2);
    expect(
      within(screen.getByLabelText('STG queue')).getByText(/Waiting for next available executor/),
    ).toBeInTheDocument();
  });

  it('launches an agent after confirmation and shows its progress until online', async () => {
    const api = fakeApi();
    await render(api);
    fireEvent.click(await whenEnabled(() => screen.getByRole('button', { name: 'Launch agent' })));
    fireEvent.mouseDown(screen.getByLabelText('Agent type'));
    fireEvent.click(await screen.findByRole('option', { name: /worker/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Launch worker agent in STG' }));

    const progress = await screen.findByLabelText('Launch progress');
    expect(within(progress).getByText('node-created')).toBeInTheDocument();
    expect(api.launchAgent).toHaveBeenCalledWith(
      { vpc: 'STG', type: 'worker', reason: undefined },
      expect.stringMatching(/^launch-/),
    );
    expect(await screen.findByText(/is online/, {}, { timeout: 5000 })).toBeInTheDocument();
    expect(within(screen.getByLabelText('Launch progress')).getByText('online')).toBeInTheDocument();
  });

  it('shows the refusal to terminate a busy agent and offers to force it', async () => {
    const refusal = Object.assign(new Error('Request failed with 409 Conflict'), {
      statusCode: 409,
      body: { error: { message: `Agent ${NODE} is running 1 build (STG-worker #7); it stays drained` } },
    });
    const api = fakeApi({
      terminateAgent: jest
        .fn()
        .mockRejectedValueOnce(refusal)
        .mockResolvedValueOnce({
          auditId: 'a-2',
          vpc: 'STG',
          node: NODE,
          instanceId: 'i-0aaaaaaaaaaaaaaaa',
          ec2State: 'shutting-down',
          nodeDeleted: true,
          abortedBuilds: [],
        }),
    });
    await render(api);
    fireEvent.click(await whenEnabled(() => screen.getByRole('button', { name: `Terminate ${NODE}` })));
    fireEvent.click(screen.getByRole('button', { name: 'Drain and terminate' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/Refused: .*running 1 build/);
    expect(api.terminateAgent).toHaveBeenCalledWith({ vpc: 'STG', node: NODE, force: false });

    fireEvent.click(screen.getByLabelText(/Force/));
    fireEvent.click(screen.getByRole('button', { name: 'Force terminate' }));
    expect(await screen.findByText(/is shutting-down; node deleted/)).toBeInTheDocument();
    expect(api.terminateAgent).toHaveBeenLastCalledWith({ vpc: 'STG', node: NODE, force: true });
  });

  it("offers neither launch nor terminate when the VPC's agent provider cannot do them", async () => {
    const fleet = await fakeApi().getFleet();
    const staticPool = {
      ...fleet,
      vpcs: [
        {
          ...fleet.vpcs[0],
          agentProvider: {
            id: 'static-pool',
            capabilities: { list: true, launch: false, terminate: false },
          },
        },
      ],
    };
    await render(fakeApi({ getFleet: jest.fn(async () => staticPool) }));
    expect(await screen.findByText(NODE)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Launch agent' })).toBeNull();
    expect(screen.queryByRole('button', { name: `Terminate ${NODE}` })).toBeNull();
  });

  it('shows the error when the fleet cannot be read', async () => {
    await render(fakeApi({ getFleet: jest.fn(async () => { throw new Error('Jenkins down'); }) }));
    expect((await screen.findAllByText(/Jenkins down/)).length).toBeGreaterThan(0);
  });

  const agentRows = () =>
    screen.queryAllByText(/^i-\d{17}-EC2-AGENT$/).map(cell => cell.textContent);

  it('shows a large fleet one page at a time and pages through it', async () => {
    await render(fakeApi({ getFleet: jest.fn(async () => largeFleet(45)) }));
    expect(await screen.findByText('i-00000000000000000-EC2-AGENT')).toBeInTheDocument();
    expect(agentRows()).toHaveLength(20);
    expect(screen.getAllByText(/1-20 of 45/).length).toBeGreaterThan(0);

    fireEvent.click(screen.getAllByRole('button', { name: /Next Page/i })[0]);
    expect(await screen.findByText('i-00000000000000020-EC2-AGENT')).toBeInTheDocument();
    expect(agentRows()).toHaveLength(20);
    expect(screen.queryByText('i-00000000000000000-EC2-AGENT')).not.toBeInTheDocument();
  });

  it('filters agents by state and by text, and says how many match', async () => {
    await render(fakeApi({ getFleet: jest.fn(async () => largeFleet(45)) }));
    // 45 agents: 9 offline (i % 5 === 4), 12 busy (i % 3 === 0 among the rest), 24 idle.
    const offline = await screen.findByRole('button', { name: 'Offline (9)' });
    expect(screen.getByRole('button', { name: 'Busy (12)' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Idle (24)' })).toBeInTheDocument();
    fireEvent.click(offline);
    expect(await screen.findByText('9 of 45 agents')).toBeInTheDocument();
    expect(agentRows()).toHaveLength(9);
    expect(screen.getAllByText('offline: channel closed')).toHaveLength(9);

    fireEvent.click(offline);
    fireEvent.change(screen.getByLabelText('Find STG agents'), { target: { value: 'report-33' } });
    expect(await screen.findByText('1 of 45 agents')).toBeInTheDocument();
    expect(agentRows()).toEqual(['i-00000000000000033-EC2-AGENT']);

    fireEvent.change(screen.getByLabelText('Find STG agents'), { target: { value: 'nothing-like-this' } });
    expect(await screen.findByText('No STG agent matches the filter.')).toBeInTheDocument();
  });

  it('keeps the page an operator is on when the fleet refreshes', async () => {
    const getFleet = jest.fn(async () => largeFleet(45));
    await render(fakeApi({ getFleet }), true, 300);
    await screen.findByText('i-00000000000000000-EC2-AGENT');
    fireEvent.click(screen.getAllByRole('button', { name: /Next Page/i })[0]);
    await screen.findByText('i-00000000000000020-EC2-AGENT');
    const calls = getFleet.mock.calls.length;
    await waitFor(() => expect(getFleet.mock.calls.length).toBeGreaterThan(calls + 1), { timeout: 5000 });
    expect(screen.getByText('i-00000000000000020-EC2-AGENT')).toBeInTheDocument();
    expect(screen.queryByText('i-00000000000000000-EC2-AGENT')).not.toBeInTheDocument();
  });

  it('shows the matching agents when a filter leaves fewer than the page the operator was on', async () => {
    await render(fakeApi({ getFleet: jest.fn(async () => largeFleet(45)) }));
    await screen.findByText('i-00000000000000000-EC2-AGENT');
    fireEvent.click(screen.getAllByRole('button', { name: /Next Page/i })[0]);
    fireEvent.click(screen.getAllByRole('button', { name: /Next Page/i })[0]);
    expect(await screen.findByText('i-00000000000000044-EC2-AGENT')).toBeInTheDocument();
    expect(agentRows()).toHaveLength(5);

    fireEvent.click(screen.getByRole('button', { name: 'Busy (12)' }));
    expect(await screen.findByText('12 of 45 agents')).toBeInTheDocument();
    expect(agentRows()).toHaveLength(12);
    expect(screen.getByText('i-00000000000000000-EC2-AGENT')).toBeInTheDocument();
  });
});
