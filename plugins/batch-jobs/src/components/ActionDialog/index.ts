export { ActionDialog, ApprovalPendingNotice } from './ActionDialog';
export type { ActionDialogConfirm } from './ActionDialog';
