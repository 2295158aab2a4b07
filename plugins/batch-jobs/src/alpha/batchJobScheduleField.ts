import {
  createFormField,
  FormFieldExtensionData,
} from '@backstage/plugin-scaffolder-react/alpha';
import {
  BatchJobScheduleField,
  batchJobScheduleValidation,
} from '../components/BatchJobScheduleField/BatchJobScheduleField';

/** The schedule field in the shape the new scaffolder loads lazily. */
export const batchJobScheduleField = createFormField({
  name: 'BatchJobSchedule',
  // createFormField types the value from a zod schema; this field declares
  // none (its value is the timer spec string, as in the legacy extension).
  component: BatchJobScheduleField as FormFieldExtensionData['component'],
  validation:
    batchJobScheduleValidation as FormFieldExtensionData['validation'],
});
