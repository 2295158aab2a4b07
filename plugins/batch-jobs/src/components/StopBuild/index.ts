export { StopBuildButton, StopBuildDialog } from './StopBuildButton';
export type { StopBuildButtonProps } from './StopBuildButton';
