export {
  BatchJobScheduleField,
  batchJobScheduleValidation,
  previewJobsOf,
} from './BatchJobScheduleField';
export { BatchJobScheduleFieldExtension } from './extension';
