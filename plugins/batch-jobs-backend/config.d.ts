export interface Config {
  /** Configuration of the Batch Jobs backend plugin (`/api/batch-jobs`). */
  batchJobs?: {
    /**
     * The Jenkins controllers the portal talks to. Each is referenced by name
     * from `batchJobs.vpcs[].jenkins`.
     */
    jenkins: Array<{
      /** Unique name of this controller, e.g. `sandbox` or `prod-jenkins`. */
      name: string;
      /** Base URL of the controller, e.g. `http://localhost:8080` (no trailing `/job/...`). */
      baseUrl: string;
      /** Jenkins user the portal acts as (a service account). */
      username: string;
      /**
       * API token of that user (Jenkins → user → Security → API Token).
       * @visibility secret
       */
      apiToken: string;
      /**
       * Fetch a CSRF crumb from `/crumbIssuer/api/json` when Jenkins rejects a POST
       * with "No valid crumb". API-token authentication normally needs none.
       * Default: true.
       */
      crumb?: boolean;
      /** Timeout of every request to this controller, in milliseconds. Default: 15000. */
      timeoutMs?: number;
      /** Retries of idempotent reads after a network error or a 5xx answer. Default: 2. */
      readRetries?: number;
      /**
       * IANA time zone of the controller (its JVM's default zone, shown in
       * Manage Jenkins → System Information as `user.timezone`), e.g.
       * `Europe/Paris`. Timer specs run in it unless they start with a `TZ=`
       * line, so next run times are only right when this matches.
       * Default: `UTC`.
       */
      timezone?: string;
    }>;
    /**
     * The VPCs (environments) users think in. Each VPC maps to one Jenkins
     * controller and the folder holding its jobs.
     */
    vpcs: Array<{
      /** Name shown to users and used in the API, e.g. `DEV`. */
      name: string;
      /** Name of the controller in `batchJobs.jenkins` that runs this VPC's jobs. */
      jenkins: string;
      /**
       * Jenkins folder (full name, `/`-separated) holding this VPC's jobs, e.g. `DEV`.
       * Default: the controller's root.
       */
      folder?: string;
      /**
       * Optional glob (`*` wildcard) a job's short name must match to belong to this
       * VPC, for controllers that tell VPCs apart by job name rather than folder,
       * e.g. `dev-*`. Default: every job in the folder.
       */
      namePattern?: string;
      /**
       * Jenkins labels of this VPC's EC2 agents (win over `naming.labels`).
       */
      agentLabels?: {
        /** Label of batch agents. Default: `fleet.naming.labels.batch`, i.e. `<VPC>-batch-agent`. */
        batch?: string;
        /** Label of worker agents. Default: `fleet.naming.labels.worker`, i.e. `<VPC>-worker-agent`. */
        worker?: string;
      };
      /** This VPC's naming conventions, over `batchJobs.fleet.naming` (same keys). */
      naming?: {
        /**
         * Value of the `Name` tag of the VPC's agent instances; agents are
         * found (DescribeInstances filter) and recognised by it.
         * Placeholder `{vpc}`. Default: `{vpc}-BATCH-AGENT`.
         */
        nameTag?: string;
        /**
         * Key of the tag a worker instance carries, its value the worker
         * label (batch instances carry none). Default: `AgentType`.
         */
        agentTypeTag?: string;
        /**
         * Jenkins node name of an instance. Must contain `{instanceId}`
         * exactly once; `{vpc}` allowed. Default: `{instanceId}-EC2-AGENT`.
         * Launches tag it as `batch-jobs.io/node-name` for the agent's bootstrap.
         */
        nodeName?: string;
        /** Jenkins labels per agent type; `{vpc}` allowed. Default: `{vpc}-batch-agent`, `{vpc}-worker-agent`. */
        labels?: { batch?: string; worker?: string };
        /** Executors of a launched agent's node per type. Default: batch 2, worker 1. */
        executors?: { batch?: number; worker?: number };
      };
      /**
       * Glob (`*` wildcard) of the short names of this VPC's long-running
       * worker jobs, restarted by "Redeploy workers". Default: `<VPC>-worker*`.
       */
      workerJobPattern?: string;
      /**
       * Four-eyes gate: rerun, agent launch and worker redeploy in this VPC
       * create a pending request that another person with
       * `batch-jobs.approve` must approve. Default: false.
       */
      requireApproval?: boolean;
      /** Build alerts of this VPC's jobs. */
      alerts?: {
        /**
         * Slack incoming webhook receiving this VPC's alerts.
         * @visibility secret
         */
        slackWebhookUrl?: string;
      };
      /**
       * EC2 access for this VPC's Jenkins agents (fleet page, launch and
       * terminate). Without it the fleet shows the Jenkins side only.
       */
      aws?: {
        /** AWS region of the VPC, e.g. `eu-west-1`. */
        region: string;
        /**
         * Endpoint override, e.g. `http://localhost:4566` for the sandbox or
         * LocalStack. Default: the region's EC2 endpoint.
         */
        endpoint?: string;
        /**
         * The AWS account the VPC lives in. Its credentials then come from
         * Backstage's AWS integration (`aws.mainAccount`, `aws.accounts[]`
         * with `roleName` to assume a role in that account), as for other
         * plugins. Not together with `credentials`.
         */
        accountId?: string;
        /**
         * Static credentials. Default: the account's credentials from the AWS
         * integration when `accountId` is set, else the AWS SDK's default
         * chain (environment, shared profile, instance or task role).
         */
        credentials?: {
          /** Access key id. */
          accessKeyId: string;
          /**
           * Secret access key.
           * @visibility secret
           */
          secretAccessKey: string;
        };
        /** Launch templates agents are started from. */
        launchTemplates?: {
          /** Default: `<VPC>-BATCH-JENKINS-AGENT`. */
          batch?: string;
          /** Default: `<VPC>-WORKER-JENKINS-AGENT`. */
          worker?: string;
        };
        /** Attempts per EC2 call, retries (throttling, 5xx) included. Default: 3. */
        maxAttempts?: number;
        /**
         * The VPC's own VPC id, e.g. `vpc-0123456789abcdef0`: the portal
         * terminates only instances in it. Default: not checked.
         */
        vpcId?: string;
        /**
         * The VPC's agent subnets: the portal terminates only instances in
         * them. Default: not checked.
         */
        subnetIds?: string[];
      };
    }>;
    /**
     * Job ownership, written by the operators: which catalog entity may claim
     * which jobs. An entity's `batch-jobs.io/jobs` annotation only counts for
     * the jobs a binding gives that very entity (reads through the entity,
     * owner actions, alerts). A job bound to two entities is a conflict:
     * neither gets any right through it until resolved here. Default: none
     * (only holders of VPC-scoped permissions see and act on jobs).
     */
    ownership?: Array<{
      /** Entity ref with its kind, e.g. `component:default/payments-settlement`. */
      entity: string;
      /**
       * Selectors relative to each VPC's folder, in the annotation's syntax:
       * a folder (its direct jobs), a job, or a `*` glob in the last segment
       * (at most 4 `*`). A top-level `*` is refused.
       */
      jobs: string[];
      /** VPC names the binding applies to. Default: every VPC. */
      vpcs?: string[];
    }>;
    /**
     * Where entities' job claims are read besides `batch-jobs.io/jobs` (and
     * the locators backend modules add). Whatever the source, a claim counts
     * only where a binding in `ownership` confirms it.
     */
    locators?: {
      /**
       * Also read the community Jenkins plugin's `jenkins.io/job-full-name`
       * annotation (`[instance:]full/job/name`, comma-separated; a folder
       * means the jobs directly in it), so catalogs annotated for that plugin
       * work unchanged. The instance is a `batchJobs.jenkins[].name`; without
       * one, the instance named `default`, or the only one. Each name is
       * claimed in the VPCs of that instance whose folder holds it.
       * Default: true.
       */
      communityAnnotation?: boolean;
    };
    /** Build logs, streamed through the backend from Jenkins. */
    logs?: {
      /** Log streams one user may hold open at once; more answer 429. Default 8. */
      maxStreamsPerUser?: number;
    };
    /** Build alerts: a watcher (once per cluster) notifying Slack and entity owners. */
    alerts?: {
      /**
       * Which build events notify: `start`, `success`, `failure`, `recovery`
       * (a success right after a failure). Default: [failure, recovery].
       */
      events?: Array<'start' | 'success' | 'failure' | 'recovery'>;
      /** IANA time zone of the "When" field. Default: `UTC`. */
      timezone?: string;
      /**
       * Named Slack incoming webhooks an entity picks with the annotation
       * `batch-jobs.io/slack-webhook: <name>`.
       * @visibility secret
       */
      slackWebhooks?: { [name: string]: string };
      /** How often the watcher reads Jenkins, in seconds. Default: 60. */
      intervalSeconds?: number;
      /** Attempts per Slack message, with backoff. Default: 4. */
      maxAttempts?: number;
      /** Base URL of the portal for the "Open in portal" button. Default: `app.baseUrl`. */
      portalBaseUrl?: string;
      /** Send Backstage notifications to the owner of the job's entity. Default: true. */
      notifyOwners?: boolean;
    };
    /**
     * Missed and late scheduled runs, controller outages and catch-up.
     * "Did not run" alerts go out when `alerts` is configured.
     */
    missedRuns?: {
      /** Minutes a timer build may wait in the queue and still be on time. Default: 10. */
      graceMinutes?: number;
      /** Parameter a catch-up run receives the scheduled time in (ISO), when the job declares it. Default: SCHEDULED_TIME. */
      scheduledTimeParameter?: string;
      /** How often each Jenkins is probed, missed runs alerted and catch-ups advanced, in seconds. Default: 30. */
      pollIntervalSeconds?: number;
      /** How far back the report looks by default, in hours. Default: 24. */
      lookbackHours?: number;
    };
    /** The four-eyes gate of VPCs with `requireApproval`. */
    approvals?: {
      /** Hours a request waits for a decision before it expires. Default: 24. */
      expiresAfterHours?: number;
      /** Entity refs (users or groups) notified of new requests. Default: none. */
      notify?: string[];
    };
    /** Worker redeploys. */
    workers?: {
      /** How long to wait for a restarted worker's new build to start, in seconds. Default: 120. */
      startTimeoutSeconds?: number;
      /**
       * How long a running redeploy stays with the replica running it
       * without a heartbeat (renewed every third of it), in seconds: after a
       * crash, another replica or the restarted backend resumes it once this
       * has passed. Default: 60.
       */
      leaseSeconds?: number;
    };
    /** The EC2 agent fleet. */
    fleet?: {
      /**
       * How long a launched agent may take from RunInstances to an online
       * Jenkins node before the launch is rolled back (instance terminated,
       * node deleted, failure audited), in seconds. Default: 300.
       */
      connectTimeoutSeconds?: number;
      /** How often running launches are checked, in seconds. Default: 5. */
      pollIntervalSeconds?: number;
      /**
       * An agent whose AMI is older than this many days is stale (as is one
       * not on its launch template's default version). Default: 30.
       */
      maxImageAgeDays?: number;
      /** Defaults of a rolling refresh; each refresh may set its own. */
      refresh?: {
        /** Replacements launched at once. Default: 1. */
        batchSize?: number;
        /** Executors of the VPC that stay online throughout. Default: 0. */
        minHealthyExecutors?: number;
        /**
         * How long a drained agent's running builds may take, in seconds,
         * before the refresh pauses for the operator. Default: 3600.
         */
        drainTimeoutSeconds?: number;
      };
      /**
       * The team's naming and tag conventions for agents, checked at
       * start-up; each VPC may override any of them (`vpcs[].naming`).
       */
      naming?: {
        /**
         * Value of the `Name` tag of the VPC's agent instances; agents are
         * found (DescribeInstances filter) and recognised by it.
         * Placeholder `{vpc}`. Default: `{vpc}-BATCH-AGENT`.
         */
        nameTag?: string;
        /**
         * Key of the tag a worker instance carries, its value the worker
         * label (batch instances carry none). Default: `AgentType`.
         */
        agentTypeTag?: string;
        /**
         * Jenkins node name of an instance. Must contain `{instanceId}`
         * exactly once; `{vpc}` allowed. Default: `{instanceId}-EC2-AGENT`.
         * Launches tag it as `batch-jobs.io/node-name` for the agent's bootstrap.
         */
        nodeName?: string;
        /** Jenkins labels per agent type; `{vpc}` allowed. Default: `{vpc}-batch-agent`, `{vpc}-worker-agent`. */
        labels?: { batch?: string; worker?: string };
        /** Executors of a launched agent's node per type. Default: batch 2, worker 1. */
        executors?: { batch?: number; worker?: number };
      };
    };
    /** The audit trail. */
    audit?: {
      /**
       * An action whose audit row is still `pending` this long after it
       * started was cut off by a crash of the backend: a global task then
       * asks the system it acted on what became of it and records
       * `succeeded` or `failed` ("interrupted: ..."). A rerun or run: the
       * build or queue item it started, and its Idempotency-Key is settled;
       * a stop: whether the build ended or the item was cancelled; a pause
       * or resume: whether Jenkins shows the job disabled or enabled (the
       * pause record follows); an agent termination: whether EC2 shows the
       * instance shutting down (its node is then deleted). Stops wait at
       * least three times `batchJobs.stop.escalateAfterSeconds` plus a
       * minute. Keep it well above the Jenkins timeouts. In seconds.
       * Default: 300.
       */
      staleAfterSeconds?: number;
    };
    /** Short-lived read caching of Jenkins answers. */
    cache?: {
      /** How long job lists and build pages are reused, in seconds. Default: 10. */
      ttlSeconds?: number;
      /**
       * How long a job's timer spec and agent label (read from its config.xml)
       * are reused, in seconds. Jenkins exposes no modification time of a
       * job's configuration, so this bounds how stale a changed spec can be;
       * a timer build that the cached spec would not have started reloads it
       * earlier. Default: 600.
       */
      scheduleTtlSeconds?: number;
      /**
       * While a job list is open in any tab, one poller per Jenkins item
       * checks it this often (a few bytes per job) and reads it again only
       * when it changed; open tabs are told through Backstage signals.
       * Default: 15.
       */
      watchIntervalSeconds?: number;
      /**
       * How long a job list waits for schedules, build stats and stage notes
       * that are not cached yet (one config.xml per job on a cold cache),
       * counted from the start of the request; what is not read by then
       * shows as loading and follows via a signal or the next refresh. The
       * list does not wait at all when those reads, at the pace its listing
       * read took, could not end in time; reads it does not wait for start
       * once it is sent. Default: 0 (the list answers after its listing
       * read; a larger value trades that for fewer loading cells on a cold
       * cache).
       */
      extrasWaitMs?: number;
    };
    /**
     * Routines the backend runs by itself (scheduler, global scope: one
     * replica per run). Durations are `{ minutes: 15 }`-style objects or ISO
     * 8601 strings (`PT15M`); `frequency` may also be `{ cron: '0 1 * * *' }`.
     */
    routines?: {
      /**
       * Deletes `*-EC2-AGENT` nodes offline longer than `gracePeriod` (and
       * terminates their instance if it still runs). Never: nodes a person
       * took offline, nodes running a build, the built-in node, static agents.
       */
      'offline-node-sweep'?: {
        /** Default: true. `run now` works even when false. */
        enabled?: boolean;
        /** Scheduled runs only report what they would do. Default: false. */
        dryRun?: boolean;
        /** Default: `{ minutes: 15 }`. */
        frequency?: { cron: string } | HumanDurationConfig | string;
        /** Also how long a crashed replica's run blocks the next one. Default: `{ minutes: 10 }`. */
        timeout?: HumanDurationConfig | string;
        /** Default: `{ minutes: 2 }`. */
        initialDelay?: HumanDurationConfig | string;
        /**
         * How long a node must have been offline (since first seen offline by
         * the portal, or Jenkins' offline-cause time if earlier). Default: `{ hours: 1 }`.
         */
        gracePeriod?: HumanDurationConfig | string;
      };
      /**
       * Terminates instances tagged `Name=<VPC>-BATCH-AGENT` up longer than
       * `gracePeriod` without an online node; spares launches in progress.
       */
      'orphan-reaper'?: {
        /** Default: true. */
        enabled?: boolean;
        /** Default: false. */
        dryRun?: boolean;
        /** Default: `{ minutes: 15 }`. */
        frequency?: { cron: string } | HumanDurationConfig | string;
        /** Default: `{ minutes: 10 }`. */
        timeout?: HumanDurationConfig | string;
        /** Default: `{ minutes: 3 }`. */
        initialDelay?: HumanDurationConfig | string;
        /** Minimum time since launch. Default: `{ hours: 2 }`. */
        gracePeriod?: HumanDurationConfig | string;
      };
      /**
       * Runs the backup job, waits for it, verifies the new object in S3
       * (newer than the build; read whole: gzip trailers, a tar holding
       * `config.xml` and `jobs/`), records it, applies retention to the
       * backups it recorded as verified.
       */
      'jenkins-backup'?: {
        /** Default: true. */
        enabled?: boolean;
        /** Default: false. */
        dryRun?: boolean;
        /** Default: `{ cron: '0 1 * * *' }` (01:00 every day). */
        frequency?: { cron: string } | HumanDurationConfig | string;
        /** Default: `{ hours: 2 }`. */
        timeout?: HumanDurationConfig | string;
        /** Default: `{ minutes: 5 }`. */
        initialDelay?: HumanDurationConfig | string;
        /** Controller (name in `batchJobs.jenkins`) running the job. Default: the first. */
        jenkins?: string;
        /** Full name of the backup job. Default: `jenkins-backup`. */
        job?: string;
        /** How long to wait for the build to end. Default: `{ hours: 1 }`. */
        waitTimeout?: HumanDurationConfig | string;
        /** How often the build is polled. Default: `{ seconds: 5 }`. */
        pollInterval?: HumanDurationConfig | string;
        /** Where the job uploads. Without it every run fails saying so. */
        s3?: {
          /** e.g. `jenkins-backups`. */
          bucket: string;
          /**
           * Key prefix of the backups, e.g. `jenkins/`. Required and never
           * '': retention only deletes backups it verified under this exact
           * prefix, never the rest of the bucket.
           */
          prefix: string;
          /** Default: `us-east-1`. */
          region?: string;
          /** Endpoint override (the sandbox, LocalStack). Default: AWS. */
          endpoint?: string;
          /** Path-style URLs. Default: true when `endpoint` is set. */
          forcePathStyle?: boolean;
          /**
           * The bucket's AWS account: its credentials come from Backstage's
           * AWS integration (`aws.mainAccount`, `aws.accounts[]` with
           * `roleName`), like a VPC's `aws.accountId`. Not with `credentials`.
           */
          accountId?: string;
          /** Static credentials. Default: the account's (accountId), else the AWS SDK's default chain. */
          credentials?: {
            /** Access key id. */
            accessKeyId: string;
            /**
             * Secret access key.
             * @visibility secret
             */
            secretAccessKey: string;
          };
        };
        /**
         * Which of the backups this routine recorded as verified (under the
         * prefix) to keep: the newest `keepLast` and/or those younger than
         * `maxAgeDays` (with both, one goes only when both rules let it go).
         * Objects it did not verify never count and are never deleted. The
         * newest verified backup always stays. Default: `{ keepLast: 7 }`.
         */
        retention?: {
          keepLast?: number;
          maxAgeDays?: number;
        };
      };
    };
    /** Stopping builds from the portal. */
    stop?: {
      /**
       * How long to wait for a build to end after Jenkins' `stop` before
       * escalating to `term`, and after `term` before `kill` (pipelines;
       * Jenkins itself offers them 15 s apart), in seconds. Default: 30.
       */
      escalateAfterSeconds?: number;
    };
    /**
     * Job templates besides the compiled-in standard batch pipeline (the
     * default): files read with Backstage's URL reader, so
     * `integrations.*` credentials and `backend.reading.allow` apply. The
     * file format (YAML or JSON: id, title, version, script with
     * `${{ placeholder }}`s) is described in the plugin's README.
     */
    templates?: {
      /**
       * Each one template file, e.g.
       * `https://github.com/acme/batch-templates/blob/main/nightly-etl.yaml`.
       * Read on first use, never at start-up: one that cannot be read or is
       * invalid is listed with its error in `GET /jobs/templates`, and a job
       * naming its template is refused with a 503 naming the URL.
       */
      locations?: Array<{
        /** Absolute URL of the template file. */
        url: string;
      }>;
      /**
       * How long a template file read is used before it is read again (an
       * unchanged file answers its ETag), in seconds. Default: 60.
       */
      refreshSeconds?: number;
    };
  };
}

/** A duration such as `{ minutes: 15 }` (Backstage's HumanDuration). */
interface HumanDurationConfig {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}
