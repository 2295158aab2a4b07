export { StopBuildButton } from './StopBuildButton';
export type { StopBuildButtonProps } from './StopBuildButton';
