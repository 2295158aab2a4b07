/*
 * Process plumbing shared by the bench's processes: forking a child that
 * answers requests over IPC, and reading a process's peak RSS and CPU time
 * from /proc (Linux only).
 */
const fs = require('node:fs');
const { fork, execFileSync } = require('node:child_process');

let clockTicks;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, nearly always 100). */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks =
        Number(
          execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(),
        ) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Peak RSS (VmHWM: the kernel's high-water mark of the resident set, not a
 * sample), current RSS and CPU seconds (utime + stime) of one process.
 */
function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = name =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds =
    (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS'), cpuSeconds };
}

/**
 * Forks `script` with IPC. The child sends `{ type: 'ready', ... }` once
 * listening; `request(type, payload)` sends `{ id, type, ...payload }` and
 * resolves with the child's `{ id, result }` (rejects on `{ id, error }`).
 */
function startChild(script, args = [], options = {}) {
  const child = fork(script, args, {
    stdio: [
      'ignore',
      options.quiet === false ? 'inherit' : 'ignore',
      'pipe',
      'ipc',
    ],
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
  });
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr = (stderr + chunk).slice(-4000);
    if (options.stderr) options.stderr.write(chunk);
  });
  const pending = new Map();
  let nextId = 1;
  let readyResolve;
  let readyReject;
  const ready = new Promise((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  child.on('message', msg => {
    if (msg.type === 'ready') readyResolve(msg);
    else if (msg.type === 'fatal')
      readyReject(new Error(`${script}: ${msg.error}`));
    else if (msg.id !== undefined && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${script}: ${msg.error}`));
      else resolve(msg.result);
    }
  });
  child.on('exit', code => {
    const error = new Error(`${script} exited with ${code}\n${stderr}`);
    readyReject(error);
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  });
  return {
    pid: child.pid,
    ready,
    stats: () => procStats(child.pid),
    request(type, payload = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, type, ...payload });
      });
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null)
        return Promise.resolve();
      return new Promise(resolve => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** The child's side: answers requests with `handlers[type](msg)`. */
function serveParent(handlers) {
  process.on('message', async msg => {
    if (msg.id === undefined) return;
    try {
      const handler = handlers[msg.type];
      if (!handler) throw new Error(`unknown request ${msg.type}`);
      process.send({ id: msg.id, result: await handler(msg) });
    } catch (error) {
      process.send({ id: msg.id, error: error?.stack ?? String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

function fatal(error) {
  try {
    process.send?.({ type: 'fatal', error: error?.stack ?? String(error) });
  } finally {
    setTimeout(() => process.exit(1), 100);
  }
}

module.exports = { procStats, startChild, serveParent, fatal };
