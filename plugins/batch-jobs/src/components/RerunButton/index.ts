export { RerunButton } from './RerunButton';
export type { RerunButtonProps } from './RerunButton';
