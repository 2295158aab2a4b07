export interface Config {
  batchJobs?: {
    /**
     * Who may act through Batch Jobs (the example permission policy,
     * `@batch-jobs/plugin-permission-backend-module-batch-jobs-policy`).
     * Without this section every Batch Jobs action is denied, except with
     * `NODE_ENV=development`, where every one is allowed; either way the
     * backend logs a warning at start-up.
     * @visibility backend
     */
    permissions?: {
      /**
       * Operators: entity refs (users or groups, e.g.
       * `group:default/batch-operators`) allowed every Batch Jobs action
       * (rerun, run, stop, pause, agent launch and terminate, worker
       * redeploy, approve, routine run, job create and promote, VPC views).
       * An entry `{ ref, vpcs }` limits an operator to the VPC-scoped
       * permissions (agents, workers, job create and promote, VPC views) in
       * those VPCs; entity-bound actions then come from entity ownership
       * only, and fleet-wide ones (routines, approve) are not granted.
       * A user matches a group they belong to. Default: none.
       * @visibility backend
       */
      operators?: Array<
        | string
        | {
            /** A user or group ref. */
            ref: string;
            /** VPC names as in `batchJobs.vpcs[].name`, e.g. [DEV, STG]. */
            vpcs?: string[];
          }
      >;
      /**
       * Entity refs (users or groups) allowed to approve or reject requests
       * in VPCs that need four eyes (`batch-jobs.approve`), and the VPC-wide
       * views (`batch-jobs.vpc.read`). Nobody approves their own request,
       * whatever this says. Default: none.
       * @visibility backend
       */
      approvers?: string[];
      /**
       * Entity refs (users or groups) allowed the VPC-wide views only
       * (`batch-jobs.vpc.read`: fleet, whole-VPC timeline, workers, VPC
       * audit). Default: none.
       * @visibility backend
       */
      viewers?: string[];
      /**
       * Whether a user may rerun, run, stop and pause the jobs of the
       * catalog entities they own (the catalog's `isEntityOwner` rule).
       * Default: true.
       * @visibility backend
       */
      entityOwnersMayAct?: boolean;
    };
  };
}
