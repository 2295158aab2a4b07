import { Content, Header, Page } from '@backstage/core-components';
import { BatchFleet } from './BatchFleet';

/** The "Batch Fleet" page: every VPC's EC2 Jenkins agents. @public */
export function BatchFleetPage(props: { pollIntervalMs?: number }) {
  return (
    <Page themeId="tool">
      <Header
        title="Batch Fleet"
        subtitle="EC2 Jenkins agents of every VPC: see, launch and retire them"
      />
      <Content>
        <BatchFleet pollIntervalMs={props.pollIntervalMs} />
      </Content>
    </Page>
  );
}
