import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { scaffolderModuleBatchJobs } from '@batch-jobs/plugin-batch-jobs/alpha'; // Batch Jobs
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';

export default createApp({
  features: [
    catalogPlugin,
    navModule,
    homeModule,
    scaffolderModuleBatchJobs, // Batch Jobs: the BatchJobSchedule scaffolder field
  ],
});
