import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  FleetOperation,
  FleetRefresh,
  FleetResponse,
  StartFleetRefreshRequest,
  LaunchAgentRequest,
  TerminateAgentResponse,
} from '@batch-jobs/plugin-batch-jobs-common';

/** Client of the fleet routes of the batch-jobs backend (`/api/batch-jobs/fleet`). @public */
export interface BatchFleetApi {
  /** Agents, totals and queue per VPC; all configured VPCs when `vpcs` is absent. */
  getFleet(request?: { vpcs?: string[] }): Promise<FleetResponse>;
  /** Starts a launch (202); the same `idempotencyKey` never starts a second instance. */
  launchAgent(
    request: LaunchAgentRequest,
    idempotencyKey: string,
    /** In a VPC that needs four eyes: a pending approval request instead. */
  ): Promise<FleetOperation | ApprovalPendingResponse>;
  getOperation(id: string): Promise<FleetOperation>;
  /** Drains and terminates; a 409 ResponseError while builds run unless `force`. */
  terminateAgent(request: {
    vpc: string;
    node: string;
    force?: boolean;
  }): Promise<TerminateAgentResponse>;
  /** Starts a rolling refresh of a VPC's agents (202), or a pending approval in a four-eyes VPC. */
  startRefresh(
    vpc: string,
    request: StartFleetRefreshRequest,
  ): Promise<FleetRefresh | ApprovalPendingResponse>;
  /** The VPC's refreshes, newest first. */
  listRefreshes(vpc: string): Promise<{ items: FleetRefresh[] }>;
  getRefresh(id: string): Promise<FleetRefresh>;
  controlRefresh(
    id: string,
    action: 'pause' | 'resume' | 'abort',
  ): Promise<FleetRefresh>;
}

/** @public */
export const batchFleetApiRef = createApiRef<BatchFleetApi>({
  id: 'plugin.batch-jobs.fleet',
});
