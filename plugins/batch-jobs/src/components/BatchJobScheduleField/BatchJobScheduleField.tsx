import { parseEntityRef } from '@backstage/catalog-model';
import {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import {
  CronSpecError,
  JobSchedule,
  parseJenkinsCron,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useMemo } from 'react';
import { NextRuns } from '../NextRuns';

/** How many upcoming runs the preview lists. */
const PREVIEW_RUNS = 5;
/** Seeds `H` when the form does not name the job yet. */
const PLACEHOLDER_JOB = 'new-batch-job';

/** The job each chosen VPC will get: Jenkins seeds `H` with its full name. */
export interface PreviewJob {
  vpc?: string;
  fullName: string;
  /** True when the name is a stand-in (the form has no job name yet). */
  placeholder: boolean;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The service folder: an explicit `folder` field, else the owning component's name. */
function folderOf(formData: Record<string, unknown>): string | undefined {
  const folder = stringOf(formData.folder);
  if (folder) return folder;
  const component = stringOf(formData.component);
  if (!component) return undefined;
  try {
    return parseEntityRef(component, { defaultKind: 'component' }).name;
  } catch {
    return undefined;
  }
}

/**
 * The full names the template will create (`<VPC>/<service>/<job>`; the VPC
 * folders are named after the VPCs in the demo config). Without a job name,
 * one placeholder name so the preview still shows the shape of the schedule.
 */
export function previewJobsOf(formData: unknown): PreviewJob[] {
  const data =
    formData && typeof formData === 'object'
      ? (formData as Record<string, unknown>)
      : {};
  const name = stringOf(data.name);
  const folder = folderOf(data);
  if (!name) return [{ fullName: PLACEHOLDER_JOB, placeholder: true }];
  const vpcs = Array.isArray(data.vpcs)
    ? data.vpcs.filter((v): v is string => typeof v === 'string')
    : [];
  const relative = folder ? `${folder}/${name}` : name;
  if (vpcs.length === 0) return [{ fullName: relative, placeholder: false }];
  return vpcs.map(vpc => ({
    vpc,
    fullName: `${vpc}/${relative}`,
    placeholder: false,
  }));
}

/**
 * The schedule Jenkins would compute for `jobFullName`, in the shape the
 * job view uses, so the preview looks like what the Batch Jobs tab will show.
 */
export function previewSchedule(
  spec: string,
  jobFullName: string,
  now: Date,
): JobSchedule {
  try {
    const cron = parseJenkinsCron(spec, { jobFullName });
    return {
      spec,
      timezone: cron.timezone,
      description: cron.describe(),
      nextRuns: cron.nextRuns(now, PREVIEW_RUNS).map(d => d.toISOString()),
    };
  } catch (e) {
    return { spec, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Rejects a spec Jenkins would reject, with the parser's message (line,
 * column and why). `H` does not change validity, so any seed will do.
 */
export const batchJobScheduleValidation: CustomFieldValidator<string> = (
  value,
  validation,
) => {
  if (!value || !value.trim()) return;
  try {
    parseJenkinsCron(value, { jobFullName: PLACEHOLDER_JOB });
  } catch (e) {
    if (e instanceof CronSpecError || e instanceof RangeError) {
      validation.addError(e.message);
    } else {
      throw e;
    }
  }
};

/**
 * A Jenkins timer spec with a live preview: its description and next runs,
 * with `H` resolved for each job the template will create.
 */
export function BatchJobScheduleField(
  props: FieldExtensionComponentProps<string> & { now?: number },
) {
  const {
    formData,
    onChange,
    schema,
    uiSchema,
    rawErrors = [],
    required,
    disabled,
    idSchema,
    formContext,
    registry,
    now,
  } = props;
  const spec = formData ?? '';
  const context = formContext ?? registry?.formContext;
  // Earlier steps' answers (job name, service, VPCs) name the jobs.
  const jobsKey = JSON.stringify(previewJobsOf(context?.formData));
  const previews = useMemo(() => {
    if (!spec.trim()) return [];
    const at = new Date(now ?? Date.now());
    return (JSON.parse(jobsKey) as PreviewJob[]).map(job => ({
      job,
      schedule: previewSchedule(spec, job.fullName, at),
    }));
  }, [spec, jobsKey, now]);
  const liveError = previews.find(p => p.schedule.error)?.schedule.error;
  const placeholder = uiSchema?.['ui:placeholder'] as string | undefined;
  const label = schema.title ?? 'Schedule';

  return (
    <Box mb={2}>
      <TextField
        id={idSchema?.$id}
        label={label}
        placeholder={placeholder}
        value={spec}
        onChange={e =>
          onChange(e.target.value === '' ? undefined : e.target.value)
        }
        required={required}
        disabled={disabled}
        fullWidth
        margin="normal"
        error={rawErrors.length > 0 || !!liveError}
        helperText={liveError ?? rawErrors[0] ?? schema.description}
        inputProps={{ spellCheck: false, style: { fontFamily: 'monospace' } }}
      />
      <Box
        component="section"
        aria-label="Schedule preview"
        aria-live="polite"
        mt={1}
      >
        {!spec.trim() && (
          <Typography variant="body2" color="textSecondary">
            No timer: the job runs only when started.
          </Typography>
        )}
        {!liveError &&
          previews.map(({ job, schedule }) => (
            <Box key={job.fullName} mb={1.5}>
              {(job.vpc || job.placeholder) && (
                <Typography variant="subtitle2" component="h3">
                  {job.vpc ? `${job.vpc}: ${job.fullName}` : 'Preview'}
                </Typography>
              )}
              <NextRuns schedule={schedule} limit={PREVIEW_RUNS} now={now} />
              {job.placeholder && /\bH\b/.test(spec) && (
                <Typography variant="caption" color="textSecondary">
                  H resolved per job once created: the times shift with the
                  job's name.
                </Typography>
              )}
            </Box>
          ))}
      </Box>
    </Box>
  );
}
