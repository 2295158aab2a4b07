/*
 * The Node.js the project runs on. Backstage supports Node 22 and 24 only;
 * a machine whose `node` is older (Node 20 is end-of-life) gets a pinned
 * Node 24 from the npm registry (the `node-<platform>-<arch>` packages carry
 * the binary and its headers, which native addons build against), kept in
 * .tools/ and reused. Only Node built-ins are used: this runs before
 * anything is installed.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
/** The Node release fetched when the machine's own is not supported. */
const PINNED_NODE = '24.22.3';
const SUPPORTED_MAJORS = [22, 24];

const majorOf = version => Number(/^v?(\d+)/.exec(version)[1]);

/** Whether this process's Node is one Backstage supports. */
function isSupported(version = process.version) {
  return SUPPORTED_MAJORS.includes(majorOf(version));
}

/**
 * Installs a tool package (no scripts run) into `prefix` from the npm
 * registry, outside any project; true when npm succeeded.
 */
function npmInstallInto(prefix, spec) {
  fs.mkdirSync(prefix, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const res = spawnSync(
    npm,
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      spec,
    ],
    { stdio: 'inherit' },
  );
  return res.status === 0;
}

/**
 * The pinned Node for this platform, fetched into .tools/ the first time:
 * `{ bin, dir, nodedir }` (nodedir holds include/node for node-gyp).
 */
function ensurePinnedNode() {
  const pkg = `node-${
    process.platform === 'win32' ? 'win' : process.platform
  }-${process.arch}`;
  const prefix = path.join(root, '.tools', `node-${PINNED_NODE}`);
  const nodedir = path.join(prefix, 'node_modules', pkg);
  const bin = path.join(
    nodedir,
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node',
  );
  if (!fs.existsSync(bin)) {
    console.log(
      `Node ${
        process.version
      } is not supported by Backstage (22 or 24): fetching Node ${PINNED_NODE} (${pkg}) from the npm registry into ${path.relative(
        root,
        prefix,
      )}/…`,
    );
    const installed = npmInstallInto(prefix, `${pkg}@${PINNED_NODE}`);
    if (!installed || !fs.existsSync(bin)) {
      throw new Error(
        `Could not fetch Node ${PINNED_NODE} (${pkg}) from the npm registry; install Node 22 or 24 yourself and run the command again.`,
      );
    }
    fs.chmodSync(bin, 0o755);
  }
  return { bin, dir: path.dirname(bin), nodedir };
}

module.exports = {
  npmInstallInto,
  PINNED_NODE,
  SUPPORTED_MAJORS,
  isSupported,
  ensurePinnedNode,
};
