export { PauseJobButton, PauseLabel } from './PauseJobButton';
export type { PauseJobButtonProps } from './PauseJobButton';
