/**
 * A local AWS endpoint for the sandbox: EC2's Query API and S3's REST API on
 * one port, over a simulated account whose instances boot, run and terminate
 * on the sandbox clock.
 *
 * Wiring (see README in this folder): create the world with
 * `createAwsWorld`, serve it with `startAwsServer` (or mount
 * `createAwsHandler`), subscribe to `onInstanceStateChange` to create or
 * disconnect Jenkins nodes, and call `advance`/`tick` when the clock moves.
 */
import { AwsWorld, AwsWorldOptions } from './world';

export {
  AwsWorld,
  INSTANCE_STATE_CODES,
  jenkinsAgentOf,
  launchTemplateNameOf,
} from './world';
export type {
  AgentType,
  AwsRequestRecord,
  AwsWorldOptions,
  Ec2Image,
  Ec2Instance,
  InstanceStateListener,
  InstanceStateName,
  LaunchTemplate,
  Reservation,
  RunInstancesRequest,
  SeedInstanceSpec,
  Tag,
  VpcInfo,
} from './world';
export { FaultInjector } from './faults';
export type { FaultRule } from './faults';
export { AwsError } from './errors';
export { S3Store } from './s3store';
export type { S3Bucket, S3Object, PutObjectOptions } from './s3store';
export { createAwsHandler, startAwsServer } from './server';
export type {
  AwsHandlerOptions,
  AwsServer,
  StartAwsServerOptions,
} from './server';
export { seedInstancesForNodes } from './seed';
export type { SeedableNode } from './seed';

/** @public */
export function createAwsWorld(options: AwsWorldOptions): AwsWorld {
  return new AwsWorld(options);
}
