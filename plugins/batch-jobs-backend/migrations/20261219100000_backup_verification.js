// @ts-check

/**
 * Backups retention may delete: the prefix each was recorded under (only
 * objects recorded under the configured prefix are ever deleted; rows from
 * before have none and are never deleted) and why a verification failed.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('routine_backups', table => {
    table
      .string('prefix', 1024)
      .nullable()
      .comment('The configured key prefix when the backup was recorded');
    table
      .text('failure')
      .nullable()
      .comment('Why verification failed; null when verified');
    table.index(['bucket', 'prefix', 'verified'], 'routine_backups_retention_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('routine_backups', table => {
    table.dropIndex(['bucket', 'prefix', 'verified'], 'routine_backups_retention_idx');
    table.dropColumn('failure');
    table.dropColumn('prefix');
  });
};
