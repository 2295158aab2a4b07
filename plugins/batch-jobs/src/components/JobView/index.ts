export { JobView } from './JobView';
export type { JobViewProps } from './JobView';
