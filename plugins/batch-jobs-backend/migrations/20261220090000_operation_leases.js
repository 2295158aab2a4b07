// @ts-check

/**
 * Worker redeploys that survive a restart and never run twice at once:
 * per-job progress (audit row, parameters to send), a lease a replica holds
 * while it runs an operation (renewed by heartbeats, taken over when it
 * expires) and `active_vpc`, unique, set while the operation runs: one
 * running redeploy per VPC, enforced by the database across replicas.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('batch_operations', table => {
    table
      .text('progress')
      .nullable()
      .comment('JSON per job: its audit row id and the parameters to send');
    table
      .string('lease_owner', 64)
      .nullable()
      .comment('The replica running the operation');
    table
      .timestamp('lease_expires_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When another replica may take the operation over');
    table
      .integer('lease_epoch')
      .notNullable()
      .defaultTo(0)
      .comment('Bumped by each claim: a heartbeat of an older claim fails');
    table
      .string('active_vpc')
      .nullable()
      .comment('The VPC while the operation runs, null once it ended');
  });

  // Redeploys a restart interrupted before this migration: the newest per
  // VPC is resumed (no lease: any replica takes it), older ones were
  // superseded and could not be unique.
  const running = await knex('batch_operations')
    .where({ state: 'running' })
    .orderBy('created_at', 'desc')
    .select('id', 'vpc');
  const seen = new Set();
  for (const row of running) {
    if (seen.has(row.vpc)) {
      await knex('batch_operations')
        .where({ id: row.id })
        .update({ state: 'failed' });
    } else {
      seen.add(row.vpc);
      await knex('batch_operations')
        .where({ id: row.id })
        .update({ active_vpc: row.vpc });
    }
  }

  await knex.schema.alterTable('batch_operations', table => {
    table.unique(['active_vpc'], {
      indexName: 'batch_operations_active_vpc_uq',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('batch_operations', table => {
    table.dropUnique(['active_vpc'], 'batch_operations_active_vpc_uq');
  });
  await knex.schema.alterTable('batch_operations', table => {
    table.dropColumn('active_vpc');
    table.dropColumn('lease_epoch');
    table.dropColumn('lease_expires_at');
    table.dropColumn('lease_owner');
    table.dropColumn('progress');
  });
};
