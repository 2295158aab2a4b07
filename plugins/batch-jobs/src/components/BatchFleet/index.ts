export { BatchFleet } from './BatchFleet';
export type { BatchFleetProps } from './BatchFleet';
export { BatchFleetPage } from './BatchFleetPage';
export { EntityBatchFleetCard } from './EntityBatchFleetCard';
