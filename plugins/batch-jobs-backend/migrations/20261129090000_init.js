// @ts-check

/**
 * Audit trail of every action taken through the portal, and idempotency keys
 * for mutating requests.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', table => {
    table.comment('Who did what to which batch job, written before acting');
    table.uuid('id').primary();
    table
      .string('actor')
      .notNullable()
      .comment('Entity ref of the person or service');
    table.string('action').notNullable().comment('e.g. build.rerun');
    table.string('entity_ref').nullable();
    table.string('vpc').nullable();
    table.string('job', 1000).nullable().comment('Jenkins full name');
    table.string('target', 1000).notNullable();
    table.text('parameters').notNullable().comment('JSON');
    table
      .string('outcome', 16)
      .notNullable()
      .comment('pending | succeeded | failed');
    table.text('detail').notNullable().comment('JSON');
    table
      .integer('queue_item_id')
      .nullable()
      .comment('Jenkins queue item the action created');
    table
      .integer('build_number')
      .nullable()
      .comment('Build that queue item became');
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('finished_at', { useTz: true, precision: 3 }).nullable();
    table.index(['entity_ref', 'created_at'], 'audit_events_entity_idx');
    table.index(['vpc', 'job', 'created_at'], 'audit_events_vpc_job_idx');
    table.index(['created_at'], 'audit_events_created_idx');
  });

  await knex.schema.createTable('idempotency_keys', table => {
    table.comment('Idempotency-Key headers of mutating requests, per actor');
    table.string('actor').notNullable();
    table.string('key', 255).notNullable();
    table.string('request_hash', 64).notNullable();
    table
      .text('response')
      .nullable()
      .comment('JSON of the first response; null while in flight');
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.primary(['actor', 'key']);
    table.index(['created_at'], 'idempotency_keys_created_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('audit_events');
};
