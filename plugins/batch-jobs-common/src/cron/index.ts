/*
 * Jenkins TimerTrigger specs: parsing, H resolution, next runs and
 * descriptions, matching hudson.scheduler (CronTab, CronTabList, BaseParser,
 * Hash) bit for bit. Pure and isomorphic: standard JS and Intl only.
 */
export {
  parseJenkinsCron,
  nextRunsOf,
  describeCronSpec,
  CronSpecError,
} from './jenkinsCron';
export type { JenkinsCron, JenkinsCronOptions } from './jenkinsCron';
export { jenkinsHash } from './hash';
export type { CronHash } from './hash';
export { parseCronSpecLines } from './parser';
export type { CronLine, ParsedCronSpec } from './parser';
