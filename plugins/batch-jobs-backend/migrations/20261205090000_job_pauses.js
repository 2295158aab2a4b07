// @ts-check
/**
 * Jobs paused (disabled in Jenkins) through the portal: who, why, and when
 * the portal resumes them by itself.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('job_pauses', table => {
    table.comment('Jobs paused through the portal, one row per paused job');
    table.string('vpc').notNullable();
    table.string('job', 1000).notNullable().comment('Jenkins full name');
    table.string('paused_by').notNullable().comment('Entity ref of the person');
    table.text('reason').notNullable();
    table.string('entity_ref').nullable();
    table.timestamp('paused_at', { useTz: true, precision: 3 }).notNullable();
    table
      .timestamp('until', { useTz: true, precision: 3 })
      .nullable()
      .comment('When the resume routine enables the job again');
    table.primary(['vpc', 'job']);
    table.index(['until'], 'job_pauses_until_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('job_pauses');
};
