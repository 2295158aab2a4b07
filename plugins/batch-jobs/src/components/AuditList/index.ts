export { AuditList, describeAuditDetail } from './AuditList';
