import { Content, Header, Page } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { Routines } from '../Routines';
import { BatchFleet } from './BatchFleet';

/** The "Batch Fleet" page: every VPC's EC2 Jenkins agents. @public */
export function BatchFleetPage(props: { pollIntervalMs?: number }) {
  return (
    <Page themeId="tool">
      <Header
        title="Batch Fleet"
        subtitle="EC2 Jenkins agents of every VPC: see, launch and retire them; routines that keep them tidy"
      />
      <Content>
        <BatchFleet pollIntervalMs={props.pollIntervalMs} showApprovals />
        <Box mt={4}>
          <Routines />
        </Box>
      </Content>
    </Page>
  );
}
