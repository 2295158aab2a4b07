export { BuildStartProgress } from './BuildStartProgress';
