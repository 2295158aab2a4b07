export { PauseJobButton, PauseJobDialog, PauseLabel } from './PauseJobButton';
export type { PauseJobButtonProps } from './PauseJobButton';
