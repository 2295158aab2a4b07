/*
 * The portal's backend: a stock Backstage backend hosting the Batch Jobs
 * plugin. It holds no plugin logic of its own.
 */

import { createBackend } from '@backstage/backend-defaults';
import { portalPermissionPolicy } from './permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
// batch-jobs:job:create / :update for the "New batch job" template
backend.add(import('@batch-jobs/plugin-scaffolder-backend-module-batch-jobs'));

// techdocs plugin
backend.add(import('@backstage/plugin-techdocs-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/backend-system/building-backends/migrating#the-auth-plugin
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// See https://backstage.io/docs/auth/guest/provider

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
// The portal's policy (./permissionPolicy): Batch Jobs actions per
// batchJobs.permissions (operators, approvers, viewers, entity owners), and
// the demo's own choice for every other plugin's permissions (allowed).
backend.add(portalPermissionPolicy);

// search plugin
backend.add(import('@backstage/plugin-search-backend'));

// search collators
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// notifications and signals plugins
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// batch jobs: Jenkins jobs per VPC, builds, logs and audited actions
backend.add(import('@batch-jobs/plugin-batch-jobs-backend'));

backend.start();
