export { LogViewer } from './LogViewer';
export type { LogViewerProps } from './LogViewer';
