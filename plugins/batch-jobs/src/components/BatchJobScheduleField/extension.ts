import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { batchJobsPlugin } from '../../plugin';
import {
  BatchJobScheduleField,
  batchJobScheduleValidation,
} from './BatchJobScheduleField';

/**
 * Scaffolder field `ui:field: BatchJobSchedule`: a Jenkins timer spec with a
 * live preview of its next runs, rejected as Jenkins would reject it. Put it
 * inside `<ScaffolderFieldExtensions>` of the `/create` route.
 *
 * @public
 */
export const BatchJobScheduleFieldExtension = batchJobsPlugin.provide(
  createScaffolderFieldExtension<string>({
    name: 'BatchJobSchedule',
    component: BatchJobScheduleField,
    validation: batchJobScheduleValidation,
  }),
);
