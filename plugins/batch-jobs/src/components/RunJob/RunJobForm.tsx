import { JobParameterDefinition } from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';

/** Values of the form by parameter name. */
export type RunFormValues = Record<string, string | boolean>;

/** The form's starting values: the job's defaults, overridden by an earlier build's. */
export function initialValues(
  definitions: JobParameterDefinition[],
  fromBuild?: Record<string, string | boolean>,
): RunFormValues {
  const values: RunFormValues = {};
  for (const def of definitions) {
    if (def.type === 'other') continue;
    const earlier = fromBuild?.[def.name];
    if (def.type === 'password') values[def.name] = '';
    else if (def.type === 'boolean')
      values[def.name] =
        typeof earlier === 'boolean' ? earlier : def.default === true;
    else if (def.type === 'choice')
      values[def.name] =
        typeof earlier === 'string' && def.choices?.includes(earlier)
          ? earlier
          : def.choices?.[0] ?? '';
    else
      values[def.name] =
        typeof earlier === 'string' ? earlier : String(def.default ?? '');
  }
  return values;
}

/**
 * The checks the backend makes, before sending: a choice must be one of its
 * values, a string parameter without a default must be filled in.
 */
export function validateRunForm(
  definitions: JobParameterDefinition[],
  values: RunFormValues,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const def of definitions) {
    const value = values[def.name];
    if (
      def.type === 'choice' &&
      !(def.choices ?? []).includes(String(value ?? ''))
    ) {
      errors[def.name] = `Choose one of ${(def.choices ?? []).join(', ')}`;
    }
    if (def.type === 'string' && !def.default && !String(value ?? '').trim()) {
      errors[def.name] = 'Required: the job has no default for it';
    }
  }
  return errors;
}

/** What the form sends: empty passwords left out (Jenkins then uses the job's default). */
export function toRequestParameters(
  definitions: JobParameterDefinition[],
  values: RunFormValues,
): RunFormValues {
  const out: RunFormValues = {};
  for (const def of definitions) {
    if (def.type === 'other' || !(def.name in values)) continue;
    if (def.type === 'password' && values[def.name] === '') continue;
    out[def.name] = values[def.name];
  }
  return out;
}

/** A field per parameter definition: text, multi-line, checkbox, select, password. */
export function RunJobForm(props: {
  definitions: JobParameterDefinition[];
  values: RunFormValues;
  errors: Record<string, string>;
  onChange: (values: RunFormValues) => void;
}) {
  const { definitions, values, errors, onChange } = props;
  const set = (name: string, value: string | boolean) =>
    onChange({ ...values, [name]: value });

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      {definitions.map(def => {
        const id = `run-param-${def.name}`;
        const error = errors[def.name];
        const helper = error ?? (def.description || undefined);
        switch (def.type) {
          case 'boolean':
            return (
              <Box key={def.name}>
                <FormControlLabel
                  control={
                    <Checkbox
                      id={id}
                      checked={values[def.name] === true}
                      onChange={e => set(def.name, e.target.checked)}
                      color="primary"
                    />
                  }
                  label={def.name}
                />
                {def.description && (
                  <FormHelperText>{def.description}</FormHelperText>
                )}
              </Box>
            );
          case 'choice':
            return (
              <TextField
                key={def.name}
                id={id}
                select
                label={def.name}
                value={String(values[def.name] ?? '')}
                onChange={e => set(def.name, e.target.value)}
                error={Boolean(error)}
                helperText={helper}
                variant="outlined"
                size="small"
              >
                {(def.choices ?? []).map(choice => (
                  <MenuItem key={choice} value={choice}>
                    {choice}
                  </MenuItem>
                ))}
              </TextField>
            );
          case 'password':
            return (
              <TextField
                key={def.name}
                id={id}
                type="password"
                autoComplete="new-password"
                label={def.name}
                value={String(values[def.name] ?? '')}
                onChange={e => set(def.name, e.target.value)}
                helperText={
                  error ??
                  `${
                    def.description ? `${def.description}. ` : ''
                  }Leave empty to use the job's default; never shown or recorded.`
                }
                variant="outlined"
                size="small"
              />
            );
          case 'other':
            return (
              <TextField
                key={def.name}
                id={id}
                label={def.name}
                value=""
                disabled
                helperText={`${
                  def.jenkinsClass ?? 'This kind of parameter'
                } cannot be set here: Jenkins uses its default.`}
                variant="outlined"
                size="small"
              />
            );
          default:
            return (
              <TextField
                key={def.name}
                id={id}
                label={def.name}
                value={String(values[def.name] ?? '')}
                onChange={e => set(def.name, e.target.value)}
                multiline={def.type === 'text'}
                minRows={def.type === 'text' ? 3 : undefined}
                required={def.type === 'string' && !def.default}
                error={Boolean(error)}
                helperText={helper}
                variant="outlined"
                size="small"
              />
            );
        }
      })}
    </Box>
  );
}
