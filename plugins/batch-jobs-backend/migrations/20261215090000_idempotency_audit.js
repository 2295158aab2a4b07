// @ts-check
/**
 * Links an in-flight Idempotency-Key to the audit row of its action, so that
 * after a crash the reconciler can settle the key with what became of it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('idempotency_keys', table => {
    table
      .uuid('audit_id')
      .nullable()
      .comment('The audit row of the action this key started, once written');
  });
  await knex.schema.alterTable('audit_events', table => {
    table.index(['outcome', 'created_at'], 'audit_events_outcome_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('audit_events', table => {
    table.dropIndex(['outcome', 'created_at'], 'audit_events_outcome_idx');
  });
  await knex.schema.alterTable('idempotency_keys', table => {
    table.dropColumn('audit_id');
  });
};
