// @ts-check

/**
 * Worker redeploys as operations that outlive a request, the alert
 * watcher's memory (what it already reported, from which build on), and the
 * four-eyes gate's approval requests.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('batch_operations', table => {
    table.comment('Long-running operations (worker redeploys) and progress');
    table.uuid('id').primary();
    table.string('kind', 32).notNullable().comment('workers.redeploy');
    table
      .string('state', 16)
      .notNullable()
      .comment('running | succeeded | failed');
    table.string('vpc').notNullable();
    table.string('actor').notNullable().comment('Entity ref of the requester');
    table
      .string('approved_by')
      .nullable()
      .comment('Entity ref of the approver');
    table.text('jobs').notNullable().comment('JSON array of per-job results');
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
    table.index(['state'], 'batch_operations_state_idx');
  });

  await knex.schema.createTable('alert_baselines', table => {
    table.comment(
      'Per job, the newest build number when the watcher first saw it: older builds are never reported',
    );
    table.string('vpc').notNullable();
    table.string('job', 1000).notNullable().comment('Jenkins full name');
    table.integer('baseline_build').notNullable();
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.primary(['vpc', 'job']);
  });

  await knex.schema.createTable('alert_deliveries', table => {
    table.comment(
      'One row per reported build event; the primary key makes the claim atomic across replicas and restarts',
    );
    table
      .string('event_key', 64)
      .primary()
      .comment('sha256 of vpc, job, build number and event');
    table.string('vpc').notNullable();
    table.string('job', 1000).notNullable();
    table.integer('build_number').notNullable();
    table
      .string('event', 16)
      .notNullable()
      .comment('start | success | failure | recovery');
    table
      .string('state', 16)
      .notNullable()
      .comment('claimed | sent | failed | skipped');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('error').nullable();
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
    table.index(['vpc', 'job'], 'alert_deliveries_job_idx');
  });

  await knex.schema.createTable('approval_requests', table => {
    table.comment(
      'Actions held by the four-eyes gate until another person decides',
    );
    table.uuid('id').primary();
    table
      .string('action', 32)
      .notNullable()
      .comment('build.rerun | agent.launch | workers.redeploy');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending | approved | rejected | expired | failed');
    table.string('vpc').notNullable();
    table.string('target', 1000).notNullable();
    table.string('summary', 1000).notNullable();
    table.string('entity_ref').nullable();
    table.text('payload').notNullable().comment('JSON body of the held action');
    table.string('requested_by').notNullable();
    table
      .timestamp('requested_at', { useTz: true, precision: 3 })
      .notNullable();
    table.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    table.string('decided_by').nullable();
    table.timestamp('decided_at', { useTz: true, precision: 3 }).nullable();
    table.text('reason').nullable();
    table
      .text('result')
      .nullable()
      .comment('JSON answer of the action once approved');
    table.text('error').nullable();
    table
      .uuid('audit_id')
      .notNullable()
      .comment('The approval.request audit row');
    table.index(['status', 'requested_at'], 'approval_requests_status_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('approval_requests');
  await knex.schema.dropTable('alert_deliveries');
  await knex.schema.dropTable('alert_baselines');
  await knex.schema.dropTable('batch_operations');
};
