import { BatchJobsVpcResource } from '@batch-jobs/plugin-batch-jobs-node';
import { VpcConfig } from '../../config';

// The rules and condition helpers live in @batch-jobs/plugin-batch-jobs-node,
// so a policy package can use them without depending on this plugin.
export {
  batchJobsVpcResourceRef,
  batchJobsVpcRules,
} from '@batch-jobs/plugin-batch-jobs-node';

/** A configured VPC as the `batch-jobs-vpc` rules see it. @internal */
export const vpcResource = (vpc: VpcConfig): BatchJobsVpcResource => ({
  name: vpc.name,
  requireApproval: vpc.requireApproval,
});
