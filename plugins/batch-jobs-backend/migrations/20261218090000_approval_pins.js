// @ts-check

/**
 * The four-eyes gate pins what was reviewed (parameters or config.xml and
 * its diff, with a sha256 recomputed at execution) and executes approved
 * requests as the requester: `approved` → `executing` → `completed` or
 * `failed`, with the start of execution kept so that a crash in between can
 * be settled.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('approval_requests', table => {
    table
      .text('review')
      .nullable()
      .comment(
        'JSON: what the approver reviewed (parameters, configs and diffs)',
      );
    table
      .string('pin_hash', 64)
      .nullable()
      .comment('sha256 of what was reviewed, recomputed at execution');
    table
      .timestamp('executed_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When the requester started the approved action');
  });
  // Under the old flow approval ran the action at once: those are done.
  await knex('approval_requests')
    .where({ status: 'approved' })
    .whereNotNull('result')
    .update({ status: 'completed' });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  // The old flow knows no executing or completed requests.
  await knex('approval_requests')
    .where({ status: 'completed' })
    .update({ status: 'approved' });
  await knex('approval_requests')
    .whereIn('status', ['executing'])
    .update({ status: 'failed', error: 'interrupted by a schema downgrade' });
  await knex('approval_requests')
    .where({ status: 'approved' })
    .whereNull('result')
    .update({ status: 'expired' });
  await knex.schema.alterTable('approval_requests', table => {
    table.dropColumn('executed_at');
    table.dropColumn('pin_hash');
    table.dropColumn('review');
  });
};
