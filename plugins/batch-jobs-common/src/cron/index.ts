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
