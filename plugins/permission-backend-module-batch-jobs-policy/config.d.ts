export interface Config {
  batchJobs?: {
    /**
     * Who may act through Batch Jobs (the portal's permission policy,
     * `@internal/plugin-permission-backend-module-batch-jobs-policy`).
     * Without this section every signed-in user may do every Batch Jobs
     * action, and the backend logs a warning at start-up.
     * Reads are not permission-gated: whoever sees an entity sees its jobs.
     * @visibility backend
     */
    permissions?: {
      /**
       * Entity refs (users or groups, e.g. `group:default/batch-operators`)
       * allowed every Batch Jobs action: rerun, run, stop, pause, agent
       * launch and terminate, worker redeploy, approve, routine run, job
       * create and promote. A user matches a group they belong to.
       * Default: none.
       * @visibility backend
       */
      operators?: string[];
      /**
       * Entity refs (users or groups) allowed to approve or reject requests
       * in VPCs that need four eyes (`batch-jobs.approve`). Nobody approves
       * their own request, whatever this says. Default: none.
       * @visibility backend
       */
      approvers?: string[];
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
