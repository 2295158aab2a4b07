export { RunJobButton, RunJobDialog } from './RunJobButton';
export type { RunJobButtonProps } from './RunJobButton';
export {
  RunJobForm,
  initialValues,
  validateRunForm,
  toRequestParameters,
} from './RunJobForm';
