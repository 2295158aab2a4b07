import { usePermission } from '@backstage/plugin-permission-react';
import type { ResourcePermission } from '@backstage/plugin-permission-common';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { ReactElement, ReactNode, useState } from 'react';

/**
 * The button of an action on an entity's job or build (rerun, run now,
 * stop, pause/resume): checked against the entity permission, disabled
 * with a tooltip saying why, and opening the action's dialog, here or (with
 * `onOpen`) in the caller, e.g. a table that keeps one dialog for its rows.
 */
export function EntityActionButton(props: {
  permission: ResourcePermission<'catalog-entity'>;
  entityRef: string;
  /** The tooltip when the permission is denied. */
  deniedReason: string;
  /** Another reason the action is unavailable now (shown the same way). */
  disabledReason?: string;
  label: ReactNode;
  ariaLabel: string;
  icon: ReactElement;
  color?: 'primary' | 'default';
  size?: 'small' | 'medium';
  onOpen?: () => void;
  /** The dialog, rendered while open; a fresh one per opening (a new idempotency key). */
  dialog: (onClose: () => void) => ReactNode;
}) {
  const { allowed, loading } = usePermission({
    permission: props.permission,
    resourceRef: props.entityRef,
  });
  const [open, setOpen] = useState(false);
  const reason =
    !allowed && !loading ? props.deniedReason : props.disabledReason;

  const button = (
    <Button
      size={props.size ?? 'small'}
      variant="outlined"
      color={props.color ?? 'default'}
      startIcon={props.icon}
      disabled={!allowed || loading || Boolean(props.disabledReason)}
      onClick={e => {
        // The button may sit in a clickable table row.
        e.stopPropagation();
        if (props.onOpen) props.onOpen();
        else setOpen(true);
      }}
      aria-label={props.ariaLabel}
      // Narrow table cells would otherwise break the label into letters.
      style={{ whiteSpace: 'nowrap', flexShrink: 0 }}
    >
      {props.label}
    </Button>
  );

  return (
    <>
      {reason ? (
        <Tooltip title={reason}>
          {/* A disabled button gets no pointer events; the span shows the tooltip. */}
          <span>{button}</span>
        </Tooltip>
      ) : (
        button
      )}
      {open && props.dialog(() => setOpen(false))}
    </>
  );
}
