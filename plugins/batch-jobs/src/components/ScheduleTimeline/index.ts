export { ScheduleTimeline, TIMELINE_RANGES } from './ScheduleTimeline';
export type {
  ScheduleTimelineProps,
  TimelineRangeId,
} from './ScheduleTimeline';
export { ScheduleTimelineChart } from './ScheduleTimelineChart';
export type { ScheduleTimelineChartProps } from './ScheduleTimelineChart';
