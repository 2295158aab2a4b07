export { BuildStartDialog, BuildStartProgress } from './BuildStartProgress';
