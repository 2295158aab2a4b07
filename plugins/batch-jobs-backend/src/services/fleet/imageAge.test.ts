import { agentImageOf, summarizeImages } from './imageAge';

const NOW = new Date('2026-11-02T09:00:00Z');
const defaults = [
  {
    type: 'batch' as const,
    launchTemplateId: 'lt-0batch',
    launchTemplateName: 'DEV-BATCH-JENKINS-AGENT',
    version: 2,
    imageId: 'ami-0new',
  },
];
const created = new Map([
  ['ami-0old', '2026-08-20T09:00:00.000Z'],
  ['ami-0new', '2026-10-30T09:00:00.000Z'],
]);
const context = { defaults, created, maxAgeDays: 30, now: NOW };

describe('agent image age', () => {
  it('is stale on an older template version and an old AMI, with both reasons', () => {
    const image = agentImageOf(
      {
        imageId: 'ami-0old',
        launchTemplateId: 'lt-0batch',
        launchTemplateVersion: 1,
      },
      'batch',
      context,
    );
    expect(image).toMatchObject({
      imageAgeDays: 74,
      defaultVersion: 2,
      defaultImageId: 'ami-0new',
      stale: true,
      staleReasons: [
        'launch template version 1, default is 2',
        'image is 74 days old (limit 30)',
      ],
    });
  });

  it('is current on the default version with a young AMI', () => {
    const image = agentImageOf(
      {
        imageId: 'ami-0new',
        launchTemplateId: 'lt-0batch',
        launchTemplateVersion: 2,
      },
      'batch',
      context,
    );
    expect(image).toMatchObject({
      imageAgeDays: 3,
      stale: false,
      staleReasons: [],
    });
  });

  it('calls an instance from another template stale, and an unknown AMI has no age', () => {
    const image = agentImageOf(
      { imageId: 'ami-0gone', launchTemplateId: null },
      'batch',
      context,
    );
    expect(image).toMatchObject({
      imageAgeDays: null,
      stale: true,
      staleReasons: ['not launched from DEV-BATCH-JENKINS-AGENT'],
    });
  });

  it('sums up a VPC', () => {
    const old = agentImageOf(
      {
        imageId: 'ami-0old',
        launchTemplateId: 'lt-0batch',
        launchTemplateVersion: 1,
      },
      'batch',
      context,
    );
    const fresh = agentImageOf(
      {
        imageId: 'ami-0new',
        launchTemplateId: 'lt-0batch',
        launchTemplateVersion: 2,
      },
      'batch',
      context,
    );
    expect(summarizeImages([old, old, old, fresh, fresh], 30)).toEqual({
      agents: 5,
      stale: 3,
      oldestImageDays: 74,
      maxImageAgeDays: 30,
      summary: '3 of 5 agents stale, oldest image 74 days',
    });
    expect(summarizeImages([], 30).summary).toBe('0 of 0 agents stale');
  });
});
