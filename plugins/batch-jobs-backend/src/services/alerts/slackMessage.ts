import { BuildAlertEvent } from '@batch-jobs/plugin-batch-jobs-common';
import type { BatchJobsBuildAlert } from '@batch-jobs/plugin-batch-jobs-node';

/** One reported build event (the type alert channels receive). @public */
export type BuildAlert = BatchJobsBuildAlert;

const HEADERS: Record<BuildAlertEvent, string> = {
  start: 'Start Batch',
  success: 'Success Batch',
  recovery: 'Success Batch',
  failure: 'Failure Batch',
};

/** `Failure Batch (DEV)`. @public */
export function alertTitle(alert: Pick<BuildAlert, 'event' | 'vpc'>): string {
  return `${HEADERS[alert.event]} (${alert.vpc})`;
}

/** `2026-11-02 10:00:00 CET` in the configured zone. @public */
export function formatWhen(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find(p => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get(
    'minute',
  )}:${get('second')} ${get('timeZoneName')}`;
}

/** Slack mrkdwn needs &, < and > escaped. */
function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * The Block Kit message of an alert: a header, the four fields operators
 * asked for, and buttons to the build in the portal and in Jenkins. `text`
 * is the notification fallback (and what screen readers get).
 * @public
 */
export function buildSlackMessage(alert: BuildAlert, timeZone: string) {
  const title = alertTitle(alert);
  const jobName = alert.job.split('/').pop() ?? alert.job;
  const fields = [
    ['App Name', alert.appName],
    ['Job Name', `${jobName} #${alert.buildNumber}`],
    ['When', formatWhen(alert.at, timeZone)],
    ['Build Cause', alert.cause],
  ];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title, emoji: true } },
    {
      type: 'section',
      fields: fields.map(([name, value]) => ({
        type: 'mrkdwn',
        text: `*${name}:*\n${escape(value)}`,
      })),
    },
  ];
  if (alert.event === 'recovery') {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Back to normal after a failure.' }],
    });
  }
  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open in portal' },
        url: alert.portalUrl,
        ...(alert.event === 'failure' ? { style: 'danger' } : {}),
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open in Jenkins' },
        url: alert.jenkinsUrl,
      },
    ],
  });
  return {
    // Slack parses the fallback as mrkdwn too (`<!channel>`, links).
    text: escape(
      `${title}: ${alert.appName} ${alert.job} #${alert.buildNumber}`,
    ),
    blocks,
  };
}
