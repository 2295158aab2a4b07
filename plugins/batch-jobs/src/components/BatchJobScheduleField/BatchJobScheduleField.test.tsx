import { renderInTestApp } from '@backstage/test-utils';
import { parseJenkinsCron } from '@batch-jobs/plugin-batch-jobs-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import {
  BatchJobScheduleField,
  batchJobScheduleValidation,
  previewJobsOf,
} from './BatchJobScheduleField';

const NOW = Date.UTC(2026, 10, 2, 9, 0);

const firstStep = {
  component: 'component:default/payments-settlement',
  name: 'nightly-import',
  vpcs: ['DEV', 'STG'],
};

/** The field as the scaffolder form drives it: controlled, with formContext. */
function Harness(props: { initial?: string; formData?: object }) {
  const [value, setValue] = useState<string | undefined>(props.initial);
  const fieldProps = {
    formData: value,
    onChange: setValue,
    schema: { title: 'Schedule', type: 'string' as const },
    uiSchema: {},
    rawErrors: [],
    idSchema: { $id: 'root_schedule' },
    formContext: { formData: props.formData ?? {} },
    required: false,
    disabled: false,
    readonly: false,
  } as any;
  return <BatchJobScheduleField {...fieldProps} now={NOW} />;
}

function runTimes(region: HTMLElement): string[] {
  return within(region)
    .getAllByRole('listitem')
    .map(li => li.querySelector('time')!.getAttribute('dateTime')!);
}

describe('BatchJobScheduleField', () => {
  it('previews the next 5 runs per VPC, with H seeded by each job full name', async () => {
    await renderInTestApp(<Harness formData={firstStep} />);
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Schedule' }),
      'H/20 * * * *',
    );

    const preview = screen.getByRole('region', { name: 'Schedule preview' });
    expect(
      within(preview).getByText('DEV: DEV/payments-settlement/nightly-import'),
    ).toBeInTheDocument();
    expect(
      within(preview).getByText('STG: STG/payments-settlement/nightly-import'),
    ).toBeInTheDocument();

    const lists = within(preview).getAllByRole('list', { name: 'Next runs' });
    expect(lists).toHaveLength(2);
    const dev = runTimes(lists[0]);
    expect(dev).toHaveLength(5);
    // Every 20 minutes, starting at the minute Jenkins picks for this job.
    const devCron = parseJenkinsCron('H/20 * * * *', {
      jobFullName: 'DEV/payments-settlement/nightly-import',
    });
    expect(dev).toEqual(
      devCron.nextRuns(new Date(NOW), 5).map(d => d.toISOString()),
    );
    expect(Date.parse(dev[1]) - Date.parse(dev[0])).toBe(20 * 60_000);
    expect(within(preview).getAllByText(devCron.describe())).not.toHaveLength(
      0,
    );
  });

  it('shows exact times for a spec without H', async () => {
    await renderInTestApp(
      <Harness initial="0 2 * * 1-5" formData={firstStep} />,
    );
    const lists = screen.getAllByRole('list', { name: 'Next runs' });
    // 2 Nov 2026 is a Monday; 09:00 UTC is past 02:00, so Tuesday first.
    expect(runTimes(lists[0])).toEqual([
      '2026-11-03T02:00:00.000Z',
      '2026-11-04T02:00:00.000Z',
      '2026-11-05T02:00:00.000Z',
      '2026-11-06T02:00:00.000Z',
      '2026-11-09T02:00:00.000Z',
    ]);
  });

  it('says H is resolved per job while the form has no job name yet', async () => {
    await renderInTestApp(<Harness initial="H 2 * * *" />);
    expect(
      screen.getByText(/H resolved per job once created/),
    ).toBeInTheDocument();
    expect(screen.getAllByRole('listitem')).toHaveLength(5);
  });

  it("shows Jenkins' reason for an invalid spec instead of runs", async () => {
    await renderInTestApp(
      <Harness initial="H 25 * * *" formData={firstStep} />,
    );
    expect(screen.getByRole('textbox', { name: 'Schedule' })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    expect(
      screen.getAllByText(/25 is not a valid hour: must be within 0 and 23/),
    ).not.toHaveLength(0);
    expect(
      screen.queryByRole('list', { name: 'Next runs' }),
    ).not.toBeInTheDocument();
  });

  it('says an empty schedule means no timer', async () => {
    await renderInTestApp(<Harness formData={firstStep} />);
    expect(screen.getByText(/No timer/)).toBeInTheDocument();
  });
});

describe('batchJobScheduleValidation', () => {
  function validate(value: string | undefined): string[] {
    const errors: string[] = [];
    const field = {
      addError: (m: string) => errors.push(m),
    } as unknown as Parameters<typeof batchJobScheduleValidation>[1];
    batchJobScheduleValidation(value as string, field, {} as any);
    return errors;
  }

  it('adds the CronSpecError message as the field error', () => {
    expect(validate('H 25 * * *')).toEqual([
      expect.stringMatching(
        /^Invalid schedule at line 1, column 3 .*25 is not a valid hour/,
      ),
    ]);
    expect(validate('* * * *')).toHaveLength(1);
  });

  it('accepts valid specs and an empty one', () => {
    expect(validate('H/20 * * * *')).toEqual([]);
    expect(validate('TZ=Europe/Paris\nH 2 * * 1-5')).toEqual([]);
    expect(validate('@monthly')).toEqual([]);
    expect(validate('')).toEqual([]);
    expect(validate(undefined)).toEqual([]);
  });
});

describe('previewJobsOf', () => {
  it('names one job per chosen VPC in the service folder', () => {
    expect(previewJobsOf(firstStep).map(j => j.fullName)).toEqual([
      'DEV/payments-settlement/nightly-import',
      'STG/payments-settlement/nightly-import',
    ]);
    expect(
      previewJobsOf({ folder: 'svc', name: 'x', vpcs: ['PROD'] })[0].fullName,
    ).toBe('PROD/svc/x');
    expect(previewJobsOf(undefined)[0].placeholder).toBe(true);
  });
});
