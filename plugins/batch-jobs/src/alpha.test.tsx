import { Entity } from '@backstage/catalog-model';
import {
  ApiBlueprint,
  appTreeApiRef,
  createExtensionInput,
  createFrontendPlugin,
  ExtensionDefinition,
} from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  mockApis,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import {
  FormFieldBlueprint,
  formFieldsApiRef,
} from '@backstage/plugin-scaffolder-react/alpha';
import { screen, within } from '@testing-library/react';
import batchJobsPlugin, {
  batchFleetEntityCard,
  batchFleetPage,
  batchJobConfigApi,
  batchMissedRunsApi,
  batchJobsApi,
  batchJobsEntityCard,
  batchJobsEntityContent,
  batchOperationsApi,
  batchRoutinesApi,
  batchFleetApi,
  scaffolderModuleBatchJobs,
} from './alpha';
import { BatchJobsClient } from './api';
import { batchFleetApiRef } from './api/BatchFleetApi';
import {
  BatchJobConfigApi,
  batchJobConfigApiRef,
} from './api/BatchJobConfigApi';
import { batchJobsApiRef } from './api/BatchJobsApi';
import {
  BatchOperationsApi,
  batchOperationsApiRef,
} from './api/BatchOperationsApi';
import { batchRoutinesApiRef } from './api/BatchRoutinesApi';
import { createFakeApi, entity } from './__testUtils__/fixtures';
import { fakeApi as fakeFleetApi, NODE } from './__testUtils__/fleet';
import { fakeApi as fakeRoutinesApi } from './__testUtils__/routines';
import { batchJobsPlugin as legacyPlugin } from './plugin';
import { fleetRouteRef, rootRouteRef } from './routes';

/** Every extension of the plugin, by the id an app config refers to it with. */
const extensionsById: Record<string, ExtensionDefinition> = {
  'api:batch-jobs/service': batchJobsApi,
  'api:batch-jobs/fleet': batchFleetApi,
  'api:batch-jobs/operations': batchOperationsApi,
  'api:batch-jobs/routines': batchRoutinesApi,
  'api:batch-jobs/job-config': batchJobConfigApi,
  'api:batch-jobs/missed-runs': batchMissedRunsApi,
  'entity-content:batch-jobs': batchJobsEntityContent,
  'entity-card:batch-jobs/jobs': batchJobsEntityCard,
  'entity-card:batch-jobs/fleet': batchFleetEntityCard,
  'page:batch-jobs/fleet': batchFleetPage,
};

const sameEverywhere: BatchJobConfigApi = {
  compareJob: async ({ job, vpcs }) => ({
    job,
    vpcs: vpcs.map(vpc => ({ vpc, fullName: job, exists: true })),
    differences: [],
  }),
  promoteJob: async () => {
    throw new Error('not expected in this test');
  },
  getTemplateSpec: async () => {
    throw new Error('not expected in this test');
  },
  updateJobs: async () => {
    throw new Error('not expected in this test');
  },
  getConfigHistory: async ({ vpc, job }) => ({ vpc, job, items: [], keep: 50 }),
  getConfigVersion: async () => {
    throw new Error('not expected in this test');
  },
  restoreConfig: async () => {
    throw new Error('not expected in this test');
  },
};

const noApprovals = {
  listApprovals: jest.fn(async () => ({ items: [] })),
} as unknown as BatchOperationsApi;

/** Fakes for every client, so that no test reaches for a backend. */
function fakeApis(jobs = createFakeApi()) {
  return [
    [batchJobsApiRef, jobs],
    [batchFleetApiRef, fakeFleetApi()],
    [batchRoutinesApiRef, fakeRoutinesApi()],
    [batchOperationsApiRef, noApprovals],
    [batchJobConfigApiRef, sameEverywhere],
    mockApis.permission(),
  ] as const;
}

function renderEntityPage(subject: Entity, jobs = createFakeApi()) {
  return renderTestApp({
    features: [batchJobsPlugin],
    extensions: [createTestEntityPage({ entity: subject })],
    apis: fakeApis(jobs),
  });
}

describe('batch-jobs on the new frontend system', () => {
  it('is the batch-jobs plugin with its extensions under stable ids', () => {
    expect(batchJobsPlugin.pluginId).toBe('batch-jobs');
    expect(batchJobsPlugin.title).toBe('Batch Jobs');
    expect(batchJobsPlugin.icon).toBeDefined();
    for (const [id, extension] of Object.entries(extensionsById)) {
      // getExtension throws for an unknown id and returns a namespaced copy.
      expect((batchJobsPlugin.getExtension(id as any) as any).factory).toBe(
        (extension as any).factory,
      );
    }
    // Shared with the legacy plugin, so links resolve in either system.
    expect(batchJobsPlugin.routes.entityContent).toBe(rootRouteRef);
    expect(batchJobsPlugin.routes.fleet).toBe(fleetRouteRef);
  });

  it('registers a client for every API the legacy plugin registers', () => {
    const factories = Object.keys(extensionsById)
      .filter(id => id.startsWith('api:'))
      .map(id => {
        const api = batchJobsPlugin.getExtension(
          id as any,
        ) as typeof batchJobsApi;
        return createExtensionTester(api).get(ApiBlueprint.dataRefs.factory);
      });
    expect(factories.map(f => f.api.id).sort()).toEqual(
      [...legacyPlugin.getApis()].map(f => f.api.id).sort(),
    );

    const service = factories.find(f => f.api.id === batchJobsApiRef.id)!;
    expect(
      service.factory({
        discoveryApi: mockApis.discovery(),
        fetchApi: { fetch: jest.fn() },
      }),
    ).toBeInstanceOf(BatchJobsClient);
  });

  it('shows the Batch Jobs tab with the jobs table and both cards for an annotated entity', async () => {
    const jobs = createFakeApi();
    renderEntityPage(entity, jobs);

    const tabs = await screen.findAllByRole('tab', {}, { timeout: 10_000 });
    expect(tabs.map(t => t.textContent)).toEqual(
      expect.arrayContaining(['DEV (3)1', 'STG (1)', 'Audit']),
    );
    const rows = screen.getAllByRole('row');
    const failed = rows.find(r =>
      r.textContent?.includes('daily-settlement-report'),
    )!;
    expect(within(failed).getAllByText('Failed').length).toBeGreaterThan(0);
    expect(jobs.getEntityJobs).toHaveBeenCalledWith(
      'component:default/payments-settlement',
    );
    // The fleet card lists the agents of the fake fleet.
    expect(await screen.findByText(NODE)).toBeInTheDocument();
  });

  it('adds neither tab nor cards to entities without the annotation', async () => {
    const jobs = createFakeApi();
    renderEntityPage(
      { ...entity, metadata: { name: 'website', namespace: 'default' } },
      jobs,
    );

    expect(await screen.findByTestId('empty-entity-page')).toBeInTheDocument();
    expect(jobs.getEntityJobs).not.toHaveBeenCalled();
  });

  it('mounts the Batch Fleet page at /batch-fleet with its nav item', async () => {
    renderTestApp({
      features: [batchJobsPlugin],
      apis: fakeApis(),
      initialRouteEntries: ['/batch-fleet'],
    });

    expect(
      await screen.findByRole(
        'heading',
        { name: 'Batch Fleet' },
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText('STG agents')).toBeInTheDocument();
    expect(screen.getByText(NODE)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Batch Fleet/ })).toHaveAttribute(
      'href',
      '/batch-fleet',
    );
  });

  it('gives the scaffolder the BatchJobSchedule field, validated as Jenkins would', async () => {
    // A stand-in for the scaffolder plugin: its form-fields API with the
    // input that the real one (api:scaffolder/form-fields) collects fields on.
    const scaffolderStandIn = createFrontendPlugin({
      pluginId: 'scaffolder',
      extensions: [
        ApiBlueprint.makeWithOverrides({
          name: 'form-fields',
          inputs: {
            formFields: createExtensionInput([
              FormFieldBlueprint.dataRefs.formFieldLoader,
            ]),
          },
          factory(originalFactory, { inputs }) {
            const loaders = inputs.formFields.map(f =>
              f.get(FormFieldBlueprint.dataRefs.formFieldLoader),
            );
            return originalFactory(defineParams =>
              defineParams({
                api: formFieldsApiRef,
                deps: {},
                factory: () => ({
                  loadFormFields: () => Promise.all(loaders.map(l => l())),
                }),
              }),
            );
          },
        }),
      ],
    });
    const { apis } = renderTestApp({
      features: [scaffolderStandIn, scaffolderModuleBatchJobs],
    });

    expect(
      apis
        .get(appTreeApiRef)!
        .getTree()
        .tree.nodes.has('scaffolder-form-field:scaffolder/batch-job-schedule'),
    ).toBe(true);
    const fields = (await apis
      .get(formFieldsApiRef)!
      .loadFormFields()) as unknown as Array<{
      name: string;
      validation: (value: string, validation: { addError: jest.Mock }) => void;
    }>;
    expect(fields.map(f => f.name)).toEqual(['BatchJobSchedule']);

    const invalid = { addError: jest.fn() };
    fields[0].validation('61 * * * *', invalid);
    expect(invalid.addError).toHaveBeenCalledTimes(1);
    const valid = { addError: jest.fn() };
    fields[0].validation('H 2 * * *', valid);
    expect(valid.addError).not.toHaveBeenCalled();
  });
});
