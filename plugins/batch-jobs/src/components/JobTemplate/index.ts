export { TemplateChip, UpdateTemplateButton } from './JobTemplate';
