export { JobComparePanel } from './JobComparePanel';
export type { JobComparePanelProps } from './JobComparePanel';
