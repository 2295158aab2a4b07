import { ServerResponse } from 'node:http';
import { RecordedRequest, startFakeHttpServer } from './fakeHttpServer';

/**
 * A tiny in-memory Jenkins for router tests: folders DEV and STG holding
 * `payments-settlement/{migrate-ledger,daily-settlement-report}`, 150 builds
 * of migrate-ledger, a log, triggering and the queue. The real simulation
 * is @internal/batch-jobs-sandbox; this one lets a test break one thing.
 */
export async function startMiniJenkins() {
  const state = {
    brokenFolders: new Set<string>(),
    refuseBuilds: false,
    nextQueueId: 500,
    triggered: [] as Array<{ job: string; body: string }>,
    queue: new Map<number, { job: string; number?: number }>(),
    /** config.xml of daily-settlement-report: its timer and agent. */
    dailySpec: 'H 2 * * *' as string | null,
    dailyLabel: 'DEV-batch-agent',
  };
  const t0 = Date.UTC(2026, 10, 1, 0, 0);

  const build = (folder: string, n: number) => ({
    _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
    number: n,
    url: `http://jenkins/job/${folder}/job/payments-settlement/job/migrate-ledger/${n}/`,
    building: false,
    result: n % 3 === 0 ? 'FAILURE' : 'SUCCESS',
    timestamp: t0 + n * 60_000,
    duration: 1000,
    estimatedDuration: 1000,
    queueId: n,
    actions: [
      {
        _class: 'hudson.model.CauseAction',
        causes: [
          {
            _class: 'hudson.model.Cause$UserIdCause',
            shortDescription: 'Started by user jane',
            userId: 'jane.doe',
            userName: 'Jane',
          },
        ],
      },
      {
        _class: 'hudson.model.ParametersAction',
        parameters: [
          {
            _class: 'hudson.model.StringParameterValue',
            name: 'MIGRATION_DATE',
            value: `2026-10-${(n % 28) + 1}`,
          },
          {
            _class: 'hudson.model.BooleanParameterValue',
            name: 'DRY_RUN',
            value: false,
          },
          {
            _class: 'hudson.model.PasswordParameterValue',
            name: 'DB_PASSWORD',
          },
        ],
      },
      {},
    ],
  });
  const definitions = {
    _class: 'hudson.model.ParametersDefinitionProperty',
    parameterDefinitions: [
      { name: 'MIGRATION_DATE', type: 'StringParameterDefinition' },
      { name: 'DRY_RUN', type: 'BooleanParameterDefinition' },
      { name: 'DB_PASSWORD', type: 'PasswordParameterDefinition' },
    ],
  };
  const folderListing = (folder: string) => ({
    _class: 'com.cloudbees.hudson.plugins.folder.Folder',
    jobs: [
      {
        _class: 'com.cloudbees.hudson.plugins.folder.Folder',
        name: 'payments-settlement',
        jobs: [
          {
            _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
            name: 'migrate-ledger',
            fullName: `${folder}/payments-settlement/migrate-ledger`,
            displayName: 'migrate-ledger',
            url: `http://jenkins/job/${folder}/job/payments-settlement/job/migrate-ledger/`,
            color: 'red',
            buildable: true,
            property: [{}, definitions],
            lastBuild: build(folder, 150),
            builds: Array.from({ length: 30 }, (_, i) =>
              build(folder, 150 - i),
            ),
          },
          {
            _class: 'hudson.model.FreeStyleProject',
            name: 'daily-settlement-report',
            fullName: `${folder}/payments-settlement/daily-settlement-report`,
            url: `http://jenkins/job/${folder}/job/payments-settlement/job/daily-settlement-report/`,
            color: 'blue',
            buildable: true,
            property: [],
            lastBuild: null,
          },
        ],
      },
    ],
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'X-Jenkins': '2.479.3',
    });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) => {
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>');
  };

  const handler = (req: RecordedRequest, res: ServerResponse) => {
    const url = new URL(req.url, 'http://jenkins');
    const path = url.pathname;
    const tree = url.searchParams.get('tree') ?? '';
    let m: RegExpExecArray | null;

    if ([...state.brokenFolders].some(f => path.startsWith(`/job/${f}/`))) {
      res.writeHead(500);
      res.end('boom');
      return;
    }
    if (path === '/computer/api/json') {
      const node = (
        name: string,
        labels: string[],
        executors: number,
        offline = false,
      ) => ({
        _class: 'hudson.slaves.SlaveComputer',
        displayName: name,
        offline,
        numExecutors: executors,
        assignedLabels: [...labels, name].map(l => ({ name: l })),
      });
      json(res, 200, {
        _class: 'hudson.model.ComputerSet',
        computer: [
          node('i-0a', ['DEV-batch-agent'], 2),
          node('i-0b', ['DEV-batch-agent'], 2),
          node('i-0c', ['DEV-batch-agent'], 2, true),
        ],
      });
      return;
    }
    m = /^\/job\/(DEV|STG)\/api\/json$/.exec(path);
    if (m) {
      json(res, 200, folderListing(m[1]));
      return;
    }
    m = /^\/job\/(DEV|STG)\/job\/payments-settlement\/api\/json$/.exec(path);
    if (m) {
      json(res, 200, folderListing(m[1]).jobs[0]);
      return;
    }
    const job =
      /^\/job\/(DEV|STG)\/job\/payments-settlement\/job\/([a-z-]+)(\/.*)$/.exec(
        path,
      );
    if (!job) {
      m = /^\/queue\/item\/(\d+)\/api\/json$/.exec(path);
      if (m) {
        const item = state.queue.get(Number(m[1]));
        if (!item) {
          notFound(res);
          return;
        }
        json(res, 200, {
          _class: 'hudson.model.Queue$LeftItem',
          id: Number(m[1]),
          why: null,
          cancelled: false,
          task: {
            name: 'migrate-ledger',
            url: `http://jenkins/job/${item.job.split('/').join('/job/')}/`,
          },
          executable: {
            number: item.number,
            url: `http://jenkins/job/x/${item.number}/`,
          },
        });
        return;
      }
      notFound(res);
      return;
    }
    const [, folder, name, rest] = job;
    if (name !== 'migrate-ledger' && name !== 'daily-settlement-report') {
      notFound(res);
      return;
    }
    if (rest === '/config.xml') {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(
        name === 'daily-settlement-report'
          ? `<project><assignedNode>${
              state.dailyLabel
            }</assignedNode><canRoam>false</canRoam>${
              state.dailySpec === null
                ? '<triggers/>'
                : `<triggers><hudson.triggers.TimerTrigger><spec>${state.dailySpec}</spec></hudson.triggers.TimerTrigger></triggers>`
            }</project>`
          : '<flow-definition><triggers/></flow-definition>',
      );
      return;
    }
    if (rest === '/api/json' && tree.includes('allBuilds')) {
      const range = /\{(\d+),(\d+)\}$/.exec(tree)!;
      const all = Array.from({ length: 150 }, (_, i) => build(folder, 150 - i));
      json(res, 200, {
        property: [definitions],
        allBuilds: all.slice(Number(range[1]), Number(range[2])),
      });
      return;
    }
    if (rest === '/api/json') {
      json(res, 200, {
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
        name,
        property: [definitions],
      });
      return;
    }
    m = /^\/(\d+)\/api\/json$/.exec(rest);
    if (m) {
      const n = Number(m[1]);
      if (n > 150) {
        notFound(res);
        return;
      }
      json(res, 200, build(folder, n));
      return;
    }
    m = /^\/(\d+)\/logText\/progressiveText$/.exec(rest);
    if (m) {
      const text = 'Started by user jane\nline 2\nFinished: FAILURE\n';
      const start = Number(url.searchParams.get('start') ?? 0);
      res.writeHead(200, {
        'Content-Type': 'text/plain;charset=UTF-8',
        'X-Text-Size': String(Buffer.byteLength(text)),
      });
      res.end(Buffer.from(text).subarray(start));
      return;
    }
    if (
      req.method === 'POST' &&
      (rest === '/buildWithParameters' || rest === '/build')
    ) {
      if (state.refuseBuilds) {
        res.writeHead(409, { 'Content-Type': 'text/html' });
        res.end(
          `<html><body><p>${folder}/payments-settlement/${name} is disabled</p></body></html>`,
        );
        return;
      }
      const id = state.nextQueueId++;
      const jobName = `${folder}/payments-settlement/${name}`;
      state.triggered.push({ job: jobName, body: req.body });
      state.queue.set(id, { job: jobName, number: 151 });
      res.writeHead(201, { Location: `http://jenkins/queue/item/${id}/` });
      res.end();
      return;
    }
    notFound(res);
  };

  const server = await startFakeHttpServer(handler);
  return { ...server, state };
}
