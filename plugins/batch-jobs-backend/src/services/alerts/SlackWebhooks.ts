import { LoggerService } from '@backstage/backend-plugin-api';
import axios from 'axios';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Outcome of one message after its retries. @public */
export interface WebhookDelivery {
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Posts to Slack incoming webhooks. Retries network errors, 429 (after
 * Retry-After, capped) and 5xx with exponential backoff; never throws, so
 * a broken webhook cannot crash the watcher.
 * @public
 */
export class SlackWebhooks {
  constructor(
    private readonly options: {
      logger: LoggerService;
      maxAttempts: number;
      /** First backoff; doubles each retry. Default 500 ms. */
      baseDelayMs?: number;
      timeoutMs?: number;
    },
  ) {}

  async post(url: string, message: unknown): Promise<WebhookDelivery> {
    const { logger, maxAttempts } = this.options;
    const base = this.options.baseDelayMs ?? 500;
    let error = 'no attempt';
    let attempts = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      attempts = attempt;
      let retryAfterMs: number | undefined;
      try {
        // axios, the backend's one HTTP client; every status is answered here.
        const res = await axios.post(url, JSON.stringify(message), {
          headers: { 'Content-Type': 'application/json' },
          timeout: this.options.timeoutMs ?? 10_000,
          responseType: 'text',
          transformResponse: r => r,
          validateStatus: () => true,
          maxRedirects: 0,
        });
        if (res.status >= 200 && res.status < 300) {
          return { ok: true, attempts: attempt };
        }
        const body = String(res.data ?? '').slice(0, 200);
        error = `HTTP ${res.status}${body ? `: ${body}` : ''}`;
        if (res.status !== 429 && res.status < 500) {
          // Slack says the message or the webhook is wrong: retrying cannot help.
          break;
        }
        const header = Number(res.headers['retry-after']);
        if (Number.isFinite(header) && header > 0)
          retryAfterMs = Math.min(header * 1000, 30_000);
      } catch (e) {
        const code = (e as { code?: string }).code;
        error =
          e instanceof Error ? `${code ?? e.name}: ${e.message}` : String(e);
      }
      if (attempt < maxAttempts) {
        logger.warn(`Slack webhook failed (${error}); retrying`, {
          attempt,
          webhook: redact(url),
        });
        await sleep(retryAfterMs ?? base * 2 ** (attempt - 1));
      }
    }
    logger.error(`Slack webhook gave up: ${error}`, { webhook: redact(url) });
    return { ok: false, attempts, error };
  }
}

/** Webhook URLs are secrets: log the host only. */
function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(invalid url)';
  }
}
