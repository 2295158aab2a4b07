import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi, alertApiRef } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import GetAppIcon from '@material-ui/icons/GetApp';
import VerticalAlignBottomIcon from '@material-ui/icons/VerticalAlignBottom';
import VerticalAlignTopIcon from '@material-ui/icons/VerticalAlignTop';
import { useLayoutEffect, useRef, useState } from 'react';
import { batchJobsApiRef, BuildRef } from '../../api';
import { errorMessage } from '../../format';
import { useLogFollower } from '../../hooks/useLogFollower';

const useStyles = makeStyles(theme => ({
  log: {
    margin: 0,
    padding: theme.spacing(1, 2),
    height: 480,
    overflow: 'auto',
    fontFamily: 'monospace',
    fontSize: 12,
    lineHeight: 1.5,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    backgroundColor: theme.palette.type === 'dark' ? '#111' : '#1e1e1e',
    color: '#e6e6e6',
    borderRadius: theme.shape.borderRadius,
  },
  toolbar: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(1),
  },
  grow: { flexGrow: 1 },
}));

export interface LogViewerProps {
  build: BuildRef;
  /** Lines kept on screen; older ones are dropped (download has them all). */
  maxLines?: number;
  /** Bytes kept on screen, likewise. */
  maxBytes?: number;
}

/** 1536 → "1.5 KB": the size of the window shown. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Saves a Blob under a file name through a temporary object URL. */
function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // Give the browser a moment to start the download before freeing it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Which bytes of how many are on screen, e.g. "Showing bytes 1,000–2,000 of 9,000 (1000 B, 10 lines)". */
function windowCaption(log: {
  start: number;
  end: number;
  size: number;
  lineCount: number;
}) {
  const n = (value: number) => value.toLocaleString();
  const held = formatBytes(log.end - log.start);
  return `Showing bytes ${n(log.start)}–${n(log.end)} of ${n(
    log.size,
  )} (${held}, ${n(log.lineCount)} lines)`;
}

function logStatus(log: { following: boolean; endDropped: boolean }) {
  if (log.following) return 'Following live…';
  return log.endDropped ? 'Earlier part of the log' : 'Log complete';
}

/**
 * Console log of a build. Opens at the end and follows a running build live,
 * keeps auto-scrolling unless the reader scrolled up, and holds a bounded
 * window of a huge log, with earlier blocks loaded on demand.
 */
export function LogViewer(props: LogViewerProps) {
  const { build, maxLines = 5000, maxBytes = 2 * 1024 * 1024 } = props;
  const classes = useStyles();
  const api = useApi(batchJobsApiRef);
  const alertApi = useApi(alertApiRef);
  const log = useLogFollower(build, { window: { maxLines, maxBytes } });
  const container = useRef<HTMLPreElement>(null);
  const [stickToBottom, setStickToBottom] = useState(true);
  const [downloading, setDownloading] = useState(false);

  useLayoutEffect(() => {
    const el = container.current;
    if (el && stickToBottom) el.scrollTop = el.scrollHeight;
  }, [log.text, stickToBottom]);

  // Earlier text goes above: keep the reader's line in place.
  const heightBefore = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    const el = container.current;
    if (!el || heightBefore.current === undefined || log.loadingEarlier) return;
    el.scrollTop += el.scrollHeight - heightBefore.current;
    heightBefore.current = undefined;
  }, [log.start, log.loadingEarlier]);

  const loadEarlier = () => {
    heightBefore.current = container.current?.scrollHeight;
    setStickToBottom(false);
    log.loadEarlier();
  };

  const onScroll = () => {
    const el = container.current;
    if (!el) return;
    setStickToBottom(el.scrollTop + el.clientHeight >= el.scrollHeight - 24);
  };

  const download = async () => {
    setDownloading(true);
    try {
      const blob = await api.downloadLog(build);
      const jobName = build.job.split('/').pop() ?? 'build';
      saveBlob(blob, `${build.vpc}-${jobName}-${build.number}.log`);
    } catch (e) {
      alertApi.post({
        message: `Could not download the log: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setDownloading(false);
    }
  };

  if (log.loading) return <Progress />;

  return (
    <Box>
      <div className={classes.toolbar}>
        <Typography variant="subtitle2">{logStatus(log)}</Typography>
        {log.size > 0 && (log.start > 0 || log.end < log.size) && (
          <Typography variant="body2" color="textSecondary" role="status">
            {windowCaption(log)}
          </Typography>
        )}
        <span className={classes.grow} />
        {log.start > 0 && (
          <Button
            size="small"
            startIcon={<VerticalAlignTopIcon />}
            onClick={loadEarlier}
            disabled={log.loadingEarlier}
          >
            {log.loadingEarlier ? 'Loading earlier…' : 'Load earlier'}
          </Button>
        )}
        {(log.endDropped || !stickToBottom) && (
          <Button
            size="small"
            startIcon={<VerticalAlignBottomIcon />}
            onClick={() => {
              if (log.endDropped) log.jumpToEnd();
              setStickToBottom(true);
            }}
          >
            Jump to end
          </Button>
        )}
        <Button
          size="small"
          variant="outlined"
          startIcon={<GetAppIcon />}
          onClick={download}
          disabled={downloading}
        >
          Download full log
        </Button>
      </div>
      {log.error && (
        <Box mb={1}>
          <ResponseErrorPanel error={log.error} />
          <Button size="small" onClick={log.retry}>
            Retry
          </Button>
        </Box>
      )}
      <pre
        ref={container}
        className={classes.log}
        onScroll={onScroll}
        data-testid="build-log"
        aria-label={`Console log of build #${build.number}`}
      >
        {log.text || (log.following ? '' : '(empty log)')}
      </pre>
    </Box>
  );
}
