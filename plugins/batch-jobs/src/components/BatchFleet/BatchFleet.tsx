import {
  EmptyState,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  FleetAgent,
  VpcFleet,
  batchJobsAgentLaunchPermission,
  batchJobsAgentTerminatePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { OutageSummary } from '../MissedRuns';
import { ApprovalsList, RedeployWorkersButton } from '../Operations';
import { LaunchAgentDialog, TerminateAgentDialog } from './AgentDialogs';
import { PermissionGate } from '../PermissionGate';
import { AgentsTable } from './AgentsTable';
import { FleetRefreshPanel } from './FleetRefreshPanel';
import { useFleet } from './useFleet';

/** @public */
export interface BatchFleetProps {
  /** VPCs to show; all configured VPCs when absent. */
  vpcs?: string[];
  /** Refresh interval of the fleet, in ms. Default 5000. */
  pollIntervalMs?: number;
  /** Show the four-eyes approvals list below the VPCs (the fleet page does). */
  showApprovals?: boolean;
}

function VpcFleetView(props: {
  fleet: VpcFleet;
  allVpcs: string[];
  pollMs: number;
  reload: () => void;
}) {
  const { fleet, pollMs, reload } = props;
  // VPC-scoped: a policy may allow launching in DEV and not in PROD.
  const { allowed: canLaunch } = usePermission({
    permission: batchJobsAgentLaunchPermission,
    resourceRef: fleet.vpc,
  });
  const { allowed: canTerminate } = usePermission({
    permission: batchJobsAgentTerminatePermission,
    resourceRef: fleet.vpc,
  });
  const [launching, setLaunching] = useState(false);
  const [terminating, setTerminating] = useState<FleetAgent>();
  const { totals } = fleet;
  // What the VPC's agent provider can do (older backends: EC2 when AWS is set).
  const provides = fleet.agentProvider?.capabilities ?? {
    launch: Boolean(fleet.region),
    terminate: true,
  };

  return (
    <InfoCard
      title={`${fleet.vpc} agents`}
      subheader={`Jenkins ${fleet.jenkins}${fleet.region ? ` · AWS ${fleet.region}` : ''}`}
      action={
        <Box display="flex" style={{ gap: 8 }}>
          <RedeployWorkersButton vpc={fleet.vpc} />
          {(provides.launch || !fleet.agentProvider) && (
            <PermissionGate
              allowed={canLaunch}
              permission={batchJobsAgentLaunchPermission.name}
            >
              <Button
                variant="outlined"
                color="primary"
                disabled={!canLaunch || !provides.launch}
                onClick={() => setLaunching(true)}
              >
                Launch agent
              </Button>
            </PermissionGate>
          )}
        </Box>
      }
    >
      <OutageSummary vpc={fleet.vpc} />
      <Box display="flex" mb={1} style={{ gap: 8 }} aria-label={`${fleet.vpc} totals`}>
        <Chip label={`${totals.online} online`} color="primary" />
        <Chip label={`${totals.busy} busy`} />
        <Chip label={`${totals.idle} idle`} />
        <Chip label={`${totals.offline} offline`} />
        {fleet.images && (
          <Chip
            label={fleet.images.summary}
            color={fleet.images.stale > 0 ? 'secondary' : 'default'}
            aria-label={`${fleet.vpc} image age`}
          />
        )}
      </Box>
      {fleet.images && (
        <FleetRefreshPanel
          fleet={fleet}
          pollMs={pollMs}
          canRefresh={canLaunch && canTerminate}
          onChanged={reload}
        />
      )}
      {fleet.jenkinsError && (
        <Alert severity="error">Jenkins: {fleet.jenkinsError}</Alert>
      )}
      {fleet.ec2Error && <Alert severity="warning">EC2: {fleet.ec2Error}</Alert>}
      <AgentsTable
        vpc={fleet.vpc}
        agents={fleet.agents}
        canTerminate={canTerminate}
        onTerminate={provides.terminate ? setTerminating : undefined}
      />
      <Box mt={2}>
        <Typography variant="subtitle2">Queue</Typography>
        {fleet.queue.length === 0 ? (
          <Typography variant="body2">Nothing waiting for {fleet.vpc} agents.</Typography>
        ) : (
          <ul aria-label={`${fleet.vpc} queue`}>
            {fleet.queue.map(item => (
              <li key={item.id}>
                {item.url ? <Link to={item.url}>{item.task}</Link> : item.task}
                {item.stuck ? ' (stuck)' : ''}: {item.why ?? 'waiting'}
              </li>
            ))}
          </ul>
        )}
      </Box>
      {launching && (
        <LaunchAgentDialog
          vpcs={props.allVpcs}
          initialVpc={fleet.vpc}
          pollMs={Math.min(pollMs, 2000)}
          onClose={() => setLaunching(false)}
          onDone={reload}
        />
      )}
      {terminating && (
        <TerminateAgentDialog
          vpc={fleet.vpc}
          agent={terminating}
          onClose={() => setTerminating(undefined)}
          onDone={reload}
        />
      )}
    </InfoCard>
  );
}

/**
 * The EC2 Jenkins agents of some VPCs: totals, agents with live refresh,
 * the queue with Jenkins' reasons, launch and terminate.
 * @public
 */
export function BatchFleet(props: BatchFleetProps) {
  const pollMs = props.pollIntervalMs ?? 5000;
  const { value, error, loading, reload } = useFleet(props.vpcs, pollMs);
  if (loading && !value) return <Progress />;
  if (error && !value) return <ResponseErrorPanel error={error} />;
  if (!value || value.vpcs.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No VPCs"
        description="No VPC with agents is configured (batchJobs.vpcs)."
      />
    );
  }
  const allVpcs = value.vpcs.map(v => v.vpc);
  return (
    <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
      {error && (
        <Alert severity="warning">
          Could not refresh: {error.message}. Showing the last answer.
        </Alert>
      )}
      {value.vpcs.map(fleet => (
        <VpcFleetView
          key={fleet.vpc}
          fleet={fleet}
          allVpcs={allVpcs}
          pollMs={pollMs}
          reload={() => void reload()}
        />
      ))}
      {props.showApprovals && <ApprovalsList />}
    </Box>
  );
}
