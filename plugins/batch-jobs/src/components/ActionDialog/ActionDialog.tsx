import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Alert from '@material-ui/lab/Alert';
import type { ApprovalPendingResponse } from '@batch-jobs/plugin-batch-jobs-common';
import type { ReactNode } from 'react';
import { formatTimestamp } from '../../format';

/** The button that performs a dialog's action, shown until the action starts. */
export interface ActionDialogConfirm {
  label: ReactNode;
  onClick: () => void;
  icon?: ReactNode;
  /** `secondary` for actions that destroy or interrupt something. */
  color?: 'primary' | 'secondary';
  disabled?: boolean;
}

/**
 * The frame of every action dialog (rerun, run, stop, launch, terminate,
 * redeploy, restore): a title, the body, and Cancel + the action until it
 * starts, then Close. Clicks stay inside: the dialog is a portal, often
 * opened from a clickable table row.
 */
export function ActionDialog(props: {
  title: ReactNode;
  /** Absent once the action started: only Close (and `actions`) remain. */
  confirm?: ActionDialogConfirm;
  onClose: () => void;
  /** While true the dialog cannot be closed (the action is in flight and must be seen to end). */
  busy?: boolean;
  /** Buttons shown before Close once the action started, e.g. "Back to the form". */
  actions?: ReactNode;
  /** `md` for dialogs with tables. Default `sm`. */
  maxWidth?: 'sm' | 'md';
  children: ReactNode;
}) {
  const { title, confirm, onClose, busy, actions, children } = props;
  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      maxWidth={props.maxWidth ?? 'sm'}
      fullWidth
      onClick={e => e.stopPropagation()}
    >
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>{children}</DialogContent>
      <DialogActions>
        {confirm ? (
          <>
            <Button onClick={onClose} disabled={busy}>
              Cancel
            </Button>
            <Button
              variant="contained"
              color={confirm.color ?? 'primary'}
              startIcon={confirm.icon}
              disabled={confirm.disabled}
              onClick={confirm.onClick}
            >
              {confirm.label}
            </Button>
          </>
        ) : (
          <>
            {actions}
            <Button onClick={onClose} disabled={busy}>
              Close
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}

/**
 * The answer of a gated action in a VPC that needs four eyes: nothing
 * happened yet; another person approves, then the requester executes it
 * from the Approvals list (with their own credentials).
 */
export function ApprovalPendingNotice(props: {
  pending: Pick<ApprovalPendingResponse, 'requestId' | 'approval'>;
  /** Why a second person is needed, e.g. "PROD needs a second person". */
  why: ReactNode;
  /** What has not happened yet, e.g. "Nothing was started yet". */
  notYet: string;
  'aria-label'?: string;
}) {
  const { pending, why, notYet } = props;
  return (
    <Alert severity="info" role="status" aria-label={props['aria-label']}>
      Waiting for approval: {why}. Another user with the batch-jobs.approve
      permission must approve request{' '}
      <code>{pending.requestId.slice(0, 8)}</code> (Batch Fleet → Approvals);
      you then execute it there. {notYet}; the request expires{' '}
      {formatTimestamp(pending.approval.expiresAt)}.
    </Alert>
  );
}
