export { Routines } from './Routines';
export type { RoutinesProps } from './Routines';
