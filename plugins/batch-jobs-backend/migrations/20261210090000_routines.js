// @ts-check

/**
 * Routines (offline-node sweep, orphan reaper, Jenkins backup): their runs,
 * the lock that keeps one run per routine across replicas, when each node
 * was first seen offline, and the backups recorded.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('routine_runs', table => {
    table.comment('One row per routine run, scheduled or started by a person');
    table.uuid('id').primary();
    table.string('routine', 64).notNullable();
    table.string('trigger', 16).notNullable().comment('schedule | user');
    table.string('actor').notNullable();
    table.boolean('dry_run').notNullable();
    table
      .string('outcome', 16)
      .notNullable()
      .comment('running | succeeded | failed | abandoned');
    table.text('summary').nullable();
    table.text('items').notNullable().comment('JSON array of run items');
    table.timestamp('started_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('finished_at', { useTz: true, precision: 3 }).nullable();
    table.index(['routine', 'started_at'], 'routine_runs_routine_idx');
  });

  await knex.schema.createTable('routine_locks', table => {
    table.comment(
      'At most one run per routine at a time, across replicas; expires so a crashed replica does not block the next run',
    );
    table.string('routine', 64).primary();
    table.uuid('run_id').notNullable();
    table.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
  });

  await knex.schema.createTable('node_offline_sightings', table => {
    table.comment(
      'When the sweep first saw a node offline: Jenkins does not keep it',
    );
    table.string('jenkins').notNullable().comment('Controller name');
    table.string('node').notNullable();
    table
      .timestamp('first_seen_at', { useTz: true, precision: 3 })
      .notNullable();
    table.primary(['jenkins', 'node']);
  });

  await knex.schema.createTable('routine_backups', table => {
    table.comment('Jenkins backups the backup routine verified in S3');
    table.string('bucket').notNullable();
    table.string('key', 1024).notNullable();
    table.bigInteger('size_bytes').notNullable();
    table.boolean('verified').notNullable();
    table.uuid('run_id').notNullable();
    table.integer('build_number').nullable();
    table.string('build_url', 1024).nullable();
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.timestamp('deleted_at', { useTz: true, precision: 3 }).nullable();
    table.primary(['bucket', 'key']);
    table.index(['created_at'], 'routine_backups_created_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('routine_backups');
  await knex.schema.dropTable('node_offline_sightings');
  await knex.schema.dropTable('routine_locks');
  await knex.schema.dropTable('routine_runs');
};
