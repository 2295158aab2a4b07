// @ts-check

/**
 * A way back for job changes: the config.xml a portal write (update,
 * create with update, promotion, restore) replaced, kept before the write,
 * with who, when and why. Bounded per job by the store.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('job_config_history', table => {
    table.comment('config.xml versions a portal write replaced, per job');
    table.uuid('id').primary().notNullable();
    table.string('vpc', 100).notNullable();
    table.string('job', 1024).notNullable().comment('Jenkins full name');
    table.text('config_xml').notNullable().comment('The replaced config.xml');
    table.string('sha256', 64).notNullable().comment('sha256 of config_xml');
    table.integer('size').notNullable().comment('Bytes of config_xml (UTF-8)');
    table.string('actor', 255).notNullable().comment('Who replaced it');
    table
      .string('action', 100)
      .notNullable()
      .comment('job.update, job.promote or job.restore');
    table.uuid('audit_id').nullable().comment('Audit row of the write');
    table.string('approval_id', 100).nullable();
    table.string('entity_ref', 500).nullable();
    table
      .uuid('restored_version_id')
      .nullable()
      .comment('On a restore: the version brought back');
    table
      .timestamp('created_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('When it was replaced');
    table.index(['vpc', 'job', 'created_at'], 'job_config_history_job_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('job_config_history');
};
