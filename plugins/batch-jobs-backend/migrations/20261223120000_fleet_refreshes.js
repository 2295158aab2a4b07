// @ts-check

/**
 * Rolling refreshes of a VPC's agents (blue/green replacement onto the
 * launch template's default version), followed across restarts.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fleet_refreshes', table => {
    table.comment('Rolling refreshes of Jenkins agents and their progress');
    table.uuid('id').primary();
    table.string('vpc').notNullable();
    table
      .string('state', 16)
      .notNullable()
      .comment(
        'running | paused | rolling-back | rolled-back | aborted | succeeded | failed',
      );
    table
      .string('active_vpc')
      .nullable()
      .unique({ indexName: 'fleet_refreshes_active_vpc_uniq' })
      .comment(
        'The VPC while the refresh is unfinished: one per VPC at a time',
      );
    table
      .text('body')
      .notNullable()
      .comment('JSON of the refresh (agents, steps)');
    table
      .string('lease_owner')
      .nullable()
      .comment('The replica moving the refresh on now');
    table
      .timestamp('lease_until', { useTz: true, precision: 3 })
      .nullable()
      .comment('Another replica may take over after this');
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
    table.index(['state'], 'fleet_refreshes_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fleet_refreshes');
};
