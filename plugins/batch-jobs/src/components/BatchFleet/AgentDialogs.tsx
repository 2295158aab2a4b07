import { useApi } from '@backstage/core-plugin-api';
import {
  AgentType,
  FleetAgent,
  TerminateAgentResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import Checkbox from '@material-ui/core/Checkbox';
import CircularProgress from '@material-ui/core/CircularProgress';
import DialogContentText from '@material-ui/core/DialogContentText';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { batchFleetApiRef } from '../../api/BatchFleetApi';
import { errorMessage } from '../../format';
import { ActionDialog, ApprovalPendingNotice } from '../ActionDialog';
import { useLaunch } from './useFleet';

/** Launch agent: type, VPC, reason, confirmation, then live progress. */
export function LaunchAgentDialog(props: {
  vpcs: string[];
  initialVpc?: string;
  pollMs: number;
  onClose: () => void;
  onDone?: () => void;
}) {
  const { vpcs, pollMs, onClose, onDone } = props;
  const [vpc, setVpc] = useState(props.initialVpc ?? vpcs[0]);
  const [type, setType] = useState<AgentType>('batch');
  const [reason, setReason] = useState('');
  const { operation, approval, error, submitting, launch } = useLaunch(pollMs);
  const started = Boolean(operation) || Boolean(approval) || submitting;
  const finished = operation && operation.state !== 'running';
  if (finished && onDone) setTimeout(onDone, 0);

  return (
    <ActionDialog
      title="Launch a Jenkins agent"
      onClose={onClose}
      confirm={
        started
          ? undefined
          : {
              label: `Launch ${type} agent in ${vpc}`,
              onClick: () =>
                launch({ vpc, type, reason: reason.trim() || undefined }),
            }
      }
    >
      {!started && (
        <>
          <TextField
            select
            fullWidth
            margin="dense"
            label="VPC"
            value={vpc}
            onChange={e => setVpc(e.target.value)}
            inputProps={{ 'aria-label': 'VPC' }}
          >
            {vpcs.map(v => (
              <MenuItem key={v} value={v}>
                {v}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            select
            fullWidth
            margin="dense"
            label="Agent type"
            value={type}
            onChange={e => setType(e.target.value as AgentType)}
            inputProps={{ 'aria-label': 'Agent type' }}
          >
            <MenuItem value="batch">batch (2 executors)</MenuItem>
            <MenuItem value="worker">worker (1 executor)</MenuItem>
          </TextField>
          <TextField
            fullWidth
            margin="dense"
            label="Reason"
            value={reason}
            onChange={e => setReason(e.target.value)}
            helperText="Tagged on the instance and kept in the audit trail"
          />
          <DialogContentText>
            This starts an EC2 instance in {vpc} from its {type} launch
            template; it costs money until it is terminated. Its Jenkins node
            gets the VPC's {type} agent label.
          </DialogContentText>
        </>
      )}
      {submitting && !operation && <CircularProgress size={20} />}
      {approval && (
        <ApprovalPendingNotice
          pending={approval}
          why={`${vpc} needs a second person`}
          notYet="No agent was launched yet"
        />
      )}
      {operation && (
        <ol aria-label="Launch progress">
          {operation.steps.map((step, i) => (
            <li key={i}>
              <strong>{step.name}</strong>: {step.message}
            </li>
          ))}
          {operation.state === 'running' && (
            <li>
              <CircularProgress size={14} /> waiting for the node to come online
              (gives up at {new Date(operation.deadline).toLocaleTimeString()})
            </li>
          )}
        </ol>
      )}
      {operation?.state === 'succeeded' && (
        <Alert severity="success">Agent {operation.node} is online.</Alert>
      )}
      {operation?.state === 'failed' && (
        <Alert severity="error">Launch failed: {operation.error}</Alert>
      )}
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
    </ActionDialog>
  );
}

/** Terminate: confirmation, drain, the refusal while busy, and force. */
export function TerminateAgentDialog(props: {
  vpc: string;
  agent: FleetAgent;
  onClose: () => void;
  onDone?: () => void;
}) {
  const { vpc, agent, onClose, onDone } = props;
  const api = useApi(batchFleetApiRef);
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<TerminateAgentResponse>();

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await api.terminateAgent({ vpc, node: agent.node!, force }));
      onDone?.();
    } catch (e) {
      const status =
        (e as { statusCode?: number }).statusCode ??
        (e as { response?: { status?: number } }).response?.status;
      if (status === 409) setRefusal(errorMessage(e));
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionDialog
      title={`Terminate ${agent.node}?`}
      onClose={onClose}
      confirm={
        result
          ? undefined
          : {
              label: force ? 'Force terminate' : 'Drain and terminate',
              color: 'secondary',
              disabled: busy,
              onClick: submit,
            }
      }
    >
      {!result && (
        <DialogContentText>
          The node is first marked temporarily offline so no new build lands on
          it. While builds run the termination is refused unless forced; then
          EC2 instance {agent.instanceId} is terminated and the node is deleted.
        </DialogContentText>
      )}
      {refusal && (
        <Alert severity="warning" role="alert">
          Refused: {refusal}
        </Alert>
      )}
      {(refusal || agent.executors.busy > 0) && !result && (
        <FormControlLabel
          control={
            <Checkbox
              checked={force}
              onChange={e => setForce(e.target.checked)}
            />
          }
          label="Force: cut off the running builds"
        />
      )}
      {result && (
        <Alert severity="success">
          Instance {result.instanceId} is {result.ec2State ?? 'gone'}
          {result.nodeDeleted ? '; node deleted' : ''}.
        </Alert>
      )}
      {error && <Alert severity="error">{error}</Alert>}
    </ActionDialog>
  );
}
