import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi, alertApiRef } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import GetAppIcon from '@material-ui/icons/GetApp';
import VerticalAlignBottomIcon from '@material-ui/icons/VerticalAlignBottom';
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

/**
 * Console log of a build. Follows a running build live, keeps auto-scrolling
 * unless the reader scrolled up, and shows only the last lines of huge logs.
 */
export function LogViewer(props: LogViewerProps) {
  const { build, maxLines = 5000 } = props;
  const classes = useStyles();
  const api = useApi(batchJobsApiRef);
  const alertApi = useApi(alertApiRef);
  const log = useLogFollower(build, { maxLines });
  const container = useRef<HTMLPreElement>(null);
  const [stickToBottom, setStickToBottom] = useState(true);
  const [downloading, setDownloading] = useState(false);

  useLayoutEffect(() => {
    const el = container.current;
    if (el && stickToBottom) el.scrollTop = el.scrollHeight;
  }, [log.text, stickToBottom]);

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
        <Typography variant="subtitle2">
          {log.following ? 'Following live…' : 'Log complete'}
        </Typography>
        {log.droppedLines > 0 && (
          <Typography variant="body2" color="textSecondary" role="status">
            Showing the last {maxLines.toLocaleString()} lines — download the
            full log to see the {log.droppedLines.toLocaleString()} earlier
            ones.
          </Typography>
        )}
        <span className={classes.grow} />
        {!stickToBottom && (
          <Button
            size="small"
            startIcon={<VerticalAlignBottomIcon />}
            onClick={() => setStickToBottom(true)}
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
