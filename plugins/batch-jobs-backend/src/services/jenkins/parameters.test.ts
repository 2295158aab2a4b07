import {
  SECRET_MASK,
  checkParameters,
  mapParameterDefinitions,
  valuesFromBuild,
} from './parameters';

const job = {
  property: [
    {
      _class: 'hudson.model.ParametersDefinitionProperty',
      parameterDefinitions: [
        {
          _class: 'hudson.model.StringParameterDefinition',
          name: 'DATE',
          type: 'StringParameterDefinition',
          description: 'Day',
          defaultParameterValue: { name: 'DATE', value: '' },
        },
        {
          _class: 'hudson.model.TextParameterDefinition',
          name: 'NOTES',
          type: 'TextParameterDefinition',
          defaultParameterValue: { name: 'NOTES', value: 'a\nb' },
        },
        {
          _class: 'hudson.model.BooleanParameterDefinition',
          name: 'DRY_RUN',
          type: 'BooleanParameterDefinition',
          defaultParameterValue: { name: 'DRY_RUN', value: true },
        },
        {
          _class: 'hudson.model.ChoiceParameterDefinition',
          name: 'TARGET',
          type: 'ChoiceParameterDefinition',
          choices: ['ledger', 'archive'],
        },
        // A controller that leaked a default must still not show it.
        {
          _class: 'hudson.model.PasswordParameterDefinition',
          name: 'PW',
          type: 'PasswordParameterDefinition',
          defaultParameterValue: { name: 'PW', value: 'leaked' },
        },
        {
          _class: 'hudson.model.FileParameterDefinition',
          name: 'UPLOAD',
          type: 'FileParameterDefinition',
        },
      ],
    },
  ],
};

describe('job parameters', () => {
  const defs = mapParameterDefinitions(job);

  it('maps every kind, never a password default', () => {
    expect(defs.map(d => [d.name, d.type, d.default])).toEqual([
      ['DATE', 'string', ''],
      ['NOTES', 'text', 'a\nb'],
      ['DRY_RUN', 'boolean', true],
      ['TARGET', 'choice', 'ledger'],
      ['PW', 'password', undefined],
      ['UPLOAD', 'other', undefined],
    ]);
    expect(JSON.stringify(defs)).not.toContain('leaked');
  });

  it('sends what was entered and masks the password for the audit', () => {
    const checked = checkParameters(defs, {
      DATE: '2026-11-05',
      DRY_RUN: false,
      TARGET: 'archive',
      PW: 'pw!',
    });
    expect(checked.send).toEqual({
      DATE: '2026-11-05',
      DRY_RUN: 'false',
      TARGET: 'archive',
      PW: 'pw!',
    });
    expect(checked.recorded).toEqual({
      DATE: '2026-11-05',
      DRY_RUN: false,
      TARGET: 'archive',
      PW: SECRET_MASK,
    });
    // An empty password is left out: Jenkins uses the job's default.
    expect(checkParameters(defs, { DATE: 'x', PW: '' }).send).toEqual({
      DATE: 'x',
    });
  });

  it('names every problem, never the password', () => {
    expect(() =>
      checkParameters(defs, {
        NOPE: 1,
        TARGET: 'moon',
        DRY_RUN: 'yes',
        PW: 42,
        UPLOAD: 'f',
      }),
    ).toThrow(
      "Invalid parameters: unknown parameter 'NOPE' (the job takes DATE, NOTES, DRY_RUN, TARGET, PW, UPLOAD); " +
        "parameter 'DATE' is required (it has no default); " +
        "parameter 'DRY_RUN' must be true or false; parameter 'TARGET' must be one of 'ledger', 'archive' (got 'moon'); " +
        "parameter 'PW' must be text; " +
        "parameter 'UPLOAD' (hudson.model.FileParameterDefinition) cannot be set from the portal; leave it out to use its default",
    );
  });

  it('pre-fills from a build without secrets', () => {
    const build = {
      actions: [
        {
          _class: 'hudson.model.ParametersAction',
          parameters: [
            {
              _class: 'hudson.model.StringParameterValue',
              name: 'DATE',
              value: '2026-11-01',
            },
            {
              _class: 'hudson.model.BooleanParameterValue',
              name: 'DRY_RUN',
              value: false,
            },
            { _class: 'hudson.model.PasswordParameterValue', name: 'PW' },
            {
              _class: 'hudson.model.StringParameterValue',
              name: 'GONE',
              value: 'old',
            },
          ],
        },
      ],
    };
    expect(valuesFromBuild(build, defs)).toEqual({
      DATE: '2026-11-01',
      DRY_RUN: false,
    });
  });
});
