import Tooltip from '@material-ui/core/Tooltip';
import { ReactElement } from 'react';

/**
 * A control the user may not use: the child (already disabled by its owner)
 * gets a tooltip naming the missing permission. Disabled buttons fire no
 * mouse events, hence the span.
 */
export function PermissionGate(props: {
  allowed: boolean;
  /** The permission's name, e.g. `batch-jobs.agent.launch`. */
  permission: string;
  children: ReactElement;
}) {
  if (props.allowed) return props.children;
  return (
    <Tooltip title={`You need the ${props.permission} permission`}>
      <span>{props.children}</span>
    </Tooltip>
  );
}
