// @ts-check

/**
 * Agent launches as operations that outlive a request (and a restart):
 * pending → running → node online, or rolled back.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fleet_operations', table => {
    table.comment('Launches of EC2 Jenkins agents and their progress');
    table.uuid('id').primary();
    table.string('kind', 32).notNullable().comment('launch');
    table
      .string('state', 16)
      .notNullable()
      .comment('running | succeeded | failed');
    table.string('vpc').notNullable();
    table.string('agent_type', 16).notNullable().comment('batch | worker');
    table.string('actor').notNullable().comment('Entity ref of the person');
    table.string('reason', 1000).nullable();
    table.string('instance_id', 32).nullable();
    table.string('node').nullable().comment('Jenkins node name');
    table.text('steps').notNullable().comment('JSON array of progress steps');
    table.text('error').nullable();
    table.uuid('audit_id').notNullable();
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
    table
      .timestamp('deadline', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Rolled back when the node is not online by then');
    table.index(['state'], 'fleet_operations_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('fleet_operations');
};
