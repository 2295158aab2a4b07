export {
  BuildCauseLabel,
  BuildParameters,
  BuildStatusLabel,
  parameterValue,
  RERUNNABLE_STATUSES,
} from './BuildStatus';
