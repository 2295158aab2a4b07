export { EntityActionButton } from './EntityActionButton';
