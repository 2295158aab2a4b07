/**
 * Types, permissions and pure helpers shared by the Batch Jobs plugins.
 * @packageDocumentation
 */
export * from './api';
export * from './controls';
export * from './permissions';
export * from './jobTemplates';
export * from './jobHistory';
export * from './routines';
export * from './cron';
export * from './operations';
export * from './missedRuns';
