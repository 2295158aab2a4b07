export { BuildStages, InputForm, StageStatusLabel } from './BuildStages';
