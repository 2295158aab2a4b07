export { RerunButton, RerunDialog } from './RerunButton';
export type { RerunButtonProps } from './RerunButton';
