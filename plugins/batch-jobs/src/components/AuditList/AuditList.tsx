import {
  EmptyState,
  Link,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { AuditEvent } from '@batch-jobs/plugin-batch-jobs-common';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { formatRelative, formatTimestamp, shortEntityRefName } from '../../format';
import { useAudit } from '../../hooks/useAudit';

const ACTION_LABELS: Record<string, string> = {
  'build.rerun': 'Rerun build',
  'input.proceed': 'Proceed input',
  'input.abort': 'Abort input',
};

/** The interesting part of an event's detail: resulting build, queue item or error. */
export function describeAuditDetail(event: AuditEvent): string {
  const detail = event.detail ?? {};
  const parts: string[] = [];
  const buildNumber =
    (detail.build as { number?: number } | undefined)?.number ??
    (detail.buildNumber as number | undefined);
  if (typeof buildNumber === 'number') parts.push(`build #${buildNumber}`);
  else if (detail.queueItemId !== undefined) {
    parts.push(`queue item ${detail.queueItemId}`);
  }
  const fromDefaults = detail.secretParametersFromDefaults;
  if (Array.isArray(fromDefaults) && fromDefaults.length) {
    parts.push(`secrets from job defaults: ${fromDefaults.join(', ')}`);
  }
  const error = detail.error ?? detail.message;
  if (typeof error === 'string') parts.push(error);
  else if (
    error &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    parts.push((error as { message: string }).message);
  }
  return parts.join(' — ');
}

function Outcome(props: { outcome: AuditEvent['outcome'] }) {
  switch (props.outcome) {
    case 'succeeded':
      return <StatusOK>Succeeded</StatusOK>;
    case 'failed':
      return <StatusError>Failed</StatusError>;
    default:
      return <StatusPending>Pending</StatusPending>;
  }
}

/** Who did what on the entity's jobs, newest first. */
export function AuditList(props: { entityRef: string; limit?: number }) {
  const { value, loading, error } = useAudit({
    entityRef: props.entityRef,
    limit: props.limit ?? 100,
  });

  if (loading && !value) return <Progress />;
  if (error && !value) return <ResponseErrorPanel error={error} />;
  const items = value?.items ?? [];
  if (items.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="Nothing done yet"
        description="Reruns and other actions on this entity's jobs show up here, with who did them and how they ended."
      />
    );
  }

  const columns: TableColumn<AuditEvent>[] = [
    {
      title: 'Time',
      render: e => (
        <Tooltip title={formatTimestamp(e.createdAt)}>
          <span>{formatRelative(e.createdAt)}</span>
        </Tooltip>
      ),
    },
    {
      title: 'Actor',
      render: e => (
        <Tooltip title={e.actor}>
          <Typography variant="body2">
            <b>{shortEntityRefName(e.actor)}</b>
          </Typography>
        </Tooltip>
      ),
    },
    { title: 'Action', render: e => ACTION_LABELS[e.action] ?? e.action },
    {
      title: 'Target',
      render: e => (
        <>
          <Typography variant="body2">{e.target}</Typography>
          {e.vpc && (
            <Typography variant="caption" color="textSecondary">
              {e.vpc}
            </Typography>
          )}
        </>
      ),
    },
    { title: 'Outcome', render: e => <Outcome outcome={e.outcome} /> },
    {
      title: 'Detail',
      render: e => {
        const text = describeAuditDetail(e) || '—';
        const url = e.detail?.buildUrl;
        return typeof url === 'string' && url ? (
          <Link to={url}>{text}</Link>
        ) : (
          text
        );
      },
    },
  ];

  // The backend answers newest first; sort anyway so the promise holds.
  const sorted = [...items].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  );

  return (
    <Table<AuditEvent>
      title="Audit"
      subtitle="Who did what on this entity's batch jobs"
      options={{ paging: sorted.length > 20, pageSize: 20, padding: 'dense' }}
      columns={columns}
      data={sorted}
    />
  );
}
