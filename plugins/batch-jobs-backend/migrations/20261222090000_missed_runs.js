// @ts-check

/**
 * Missed runs: when each Jenkins answered (probed once per cluster), the
 * windows it did not (outages, on the controller's clock), and per-VPC
 * catch-ups that survive a restart (a lease, like worker redeploys).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('jenkins_reachability', table => {
    table.string('jenkins').primary().comment('batchJobs.jenkins[].name');
    table
      .timestamp('last_ok_at', { useTz: true, precision: 3 })
      .nullable()
      .comment("The controller's time at its last answer");
    table
      .bigInteger('clock_offset_ms')
      .notNullable()
      .defaultTo(0)
      .comment("The controller's clock less ours, at its last answer");
    table
      .timestamp('checked_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Our time of the last probe');
  });
  await knex.schema.createTable('jenkins_outages', table => {
    table.increments('id').primary();
    table.string('jenkins').notNullable();
    table
      .timestamp('since', { useTz: true, precision: 3 })
      .notNullable()
      .comment("The last answer before it (controller's time)");
    table
      .timestamp('until', { useTz: true, precision: 3 })
      .nullable()
      .comment("Its first answer after (controller's time); null while down");
    table.text('error').nullable();
    table
      .string('open_jenkins')
      .nullable()
      .comment(
        'The Jenkins while the outage lasts: one open outage per Jenkins',
      );
    table.unique(['open_jenkins'], { indexName: 'jenkins_outages_open_uq' });
    table.index(['jenkins', 'since'], 'jenkins_outages_jenkins_since_idx');
  });
  await knex.schema.createTable('catch_up_operations', table => {
    table.string('id', 64).primary();
    table.string('vpc').notNullable();
    table.string('state', 16).notNullable();
    table.string('requested_by').notNullable();
    table.integer('concurrency').notNullable();
    table.text('runs').notNullable().comment('JSON: each run and its progress');
    table.string('lease_owner', 64).nullable();
    table
      .timestamp('lease_expires_at', { useTz: true, precision: 3 })
      .nullable();
    table
      .string('active_vpc')
      .nullable()
      .comment('The VPC while it runs: one catch-up per VPC at a time');
    table.unique(['active_vpc'], { indexName: 'catch_up_active_vpc_uq' });
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('catch_up_operations');
  await knex.schema.dropTable('jenkins_outages');
  await knex.schema.dropTable('jenkins_reachability');
};
