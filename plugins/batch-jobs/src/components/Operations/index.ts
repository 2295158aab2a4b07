export { ApprovalsList } from './Approvals';
export {
  RedeployWorkersButton,
  RedeployWorkersDialog,
} from './RedeployWorkers';
