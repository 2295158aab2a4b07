import {
  LoggerService,
  RootConfigService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { isError, NotModifiedError } from '@backstage/errors';
import type {
  BatchJobsJobTemplate,
  BatchJobsTemplateSource,
} from '@batch-jobs/plugin-batch-jobs-node';
import { parseTemplateFile } from './templateFile';

/** Default of `batchJobs.templates.refreshSeconds`. */
export const DEFAULT_TEMPLATE_REFRESH_SECONDS = 60;

// A location that failed is asked again this soon, not at every request.
const RETRY_FAILED_AFTER_MS = 5_000;

interface Loaded {
  at: number;
  etag?: string;
  template?: BatchJobsJobTemplate;
  error?: Error;
}

/**
 * The job template file at one URL of `batchJobs.templates.locations`, read
 * with Backstage's URL reader (so `integrations` credentials and
 * `backend.reading.allow` apply) when first used, then again once
 * `refreshMs` have passed (an unchanged file answers its ETag). Never read
 * at start-up: an unreachable repository only makes its template
 * unavailable, with an error naming the URL.
 */
export class LocationTemplateSource implements BatchJobsTemplateSource {
  readonly id: string;
  private loaded?: Loaded;
  private loading?: Promise<Loaded>;

  constructor(
    private readonly options: {
      url: string;
      urlReader: UrlReaderService;
      refreshMs: number;
      logger: LoggerService;
      now?: () => number;
    },
  ) {
    this.id = `location:${options.url}`;
  }

  /**
   * One source per entry of `batchJobs.templates.locations`; throws naming
   * the key when the configuration is malformed (nothing is read yet).
   */
  static fromConfig(
    config: RootConfigService,
    deps: { urlReader: UrlReaderService; logger: LoggerService },
  ): LocationTemplateSource[] {
    const templates = config.getOptionalConfig('batchJobs.templates');
    const refreshSeconds =
      templates?.getOptionalNumber('refreshSeconds') ??
      DEFAULT_TEMPLATE_REFRESH_SECONDS;
    if (!(refreshSeconds >= 0)) {
      throw new Error(
        `batchJobs.templates.refreshSeconds must be a number of seconds from 0, got ${refreshSeconds}`,
      );
    }
    const locations = templates?.getOptionalConfigArray('locations') ?? [];
    return locations.map((location, i) => {
      const url = location.getString('url');
      if (!isAbsoluteUrl(url)) {
        throw new Error(
          `batchJobs.templates.locations[${i}].url must be an absolute URL, got '${url}'`,
        );
      }
      return new LocationTemplateSource({
        url,
        refreshMs: refreshSeconds * 1000,
        ...deps,
      });
    });
  }

  async listTemplates(): Promise<BatchJobsJobTemplate[]> {
    const now = (this.options.now ?? Date.now)();
    const loaded = this.loaded;
    const fresh =
      loaded &&
      now - loaded.at <
        (loaded.error ? RETRY_FAILED_AFTER_MS : this.options.refreshMs);
    const current = fresh ? loaded : await this.load(now);
    if (current.error) throw current.error;
    return [current.template!];
  }

  /** One read at a time: concurrent requests share it. */
  private load(now: number): Promise<Loaded> {
    this.loading ??= this.read(now).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async read(now: number): Promise<Loaded> {
    const { url, urlReader, logger } = this.options;
    const previous = this.loaded;
    let next: Loaded;
    try {
      const response = await urlReader.readUrl(url, {
        etag: previous?.template ? previous.etag : undefined,
      });
      const content = (await response.buffer()).toString('utf8');
      next = {
        at: now,
        etag: response.etag,
        template: parseTemplateFile(content, url),
      };
      logger.info('Job template read', {
        url,
        template: next.template!.id,
        version: next.template!.version,
      });
    } catch (error) {
      if (error instanceof NotModifiedError && previous?.template) {
        next = { ...previous, at: now };
      } else {
        const message = isError(error) ? error.message : String(error);
        next = {
          at: now,
          error: message.startsWith('Job template at')
            ? new Error(message)
            : new Error(`Job template at ${url} could not be read: ${message}`),
        };
        logger.warn(next.error!.message);
      }
    }
    this.loaded = next;
    return next;
  }
}

function isAbsoluteUrl(text: string): boolean {
  try {
    return Boolean(new URL(text).protocol);
  } catch {
    return false;
  }
}
