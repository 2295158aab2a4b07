#!/usr/bin/env node
/*
 * `node scripts/adopter-smoke.js [--only new|legacy] [--keep] [--skip-pack]`
 *
 * Proves that an adopter can install the Batch Jobs plugins from their
 * READMEs alone. For each kind of app (the new frontend system, which
 * create-app makes by default, and a legacy one):
 *
 *   1. packs the publishable packages (scripts/pack.js) into dist-packages/;
 *   2. creates a fresh app outside the repository, in os.tmpdir(), with
 *      @backstage/create-app (pinned), under Node 24 with yarn 1 from npm on
 *      the PATH (yarn 1 hands over to the app's committed yarn 4);
 *   3. installs the tarballs there, with no workspace links;
 *   4. applies the wiring exactly as plugins/<name>/README.md give it: every
 *      `<!-- snippet: id -->` block it uses is read from the README and put
 *      where the README's text says (see WIRING below);
 *   5. type-checks and builds the app, starts the repository's sandbox
 *      (Jenkins + AWS) and the app's backend (serving the built frontend, so
 *      nothing watches), and runs a browser smoke in headless Chromium:
 *      guest sign-in, a service's Batch Jobs tab lists DEV, STG and PROD, a
 *      build log opens, a rerun is audited, the Batch Fleet page is in the
 *      nav and lists agents.
 *
 * Writes e2e-artifacts/adopter.json ({ checks: [{ name, ok, detail, ms }],
 * timings }) and e2e-artifacts/adopter-*.png; prints `ok`/`FAIL` per check
 * and the time of each phase; exits non-zero on any failure.
 *
 *   --only new|legacy  one kind of app only
 *   --keep             keep the temporary app(s) (their paths are printed)
 *   --skip-pack        reuse dist-packages/*.tgz from an earlier pack
 *   --reuse-app DIR    debugging only: start and smoke an app kept by --keep
 *                      (with --only), skipping create-app, install and build
 *
 * Cached between runs (never the app itself): yarn 1 from npm in
 * .tools/yarn-1.22.22, and packages in yarn 4's global cache (its default
 * ~/.yarn/berry, or ADOPTER_YARN_GLOBAL_FOLDER). Only Node built-ins and
 * playwright-core.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { npmInstallInto } = require('./nodeRuntime');
const {
  buildEnv,
  ensureInstalled,
  freePort,
  openBrowserPage,
  runOrThrow,
  sandboxPortalConfig,
  root,
  waitForHttp,
} = require('./lib');

const CREATE_APP = '@backstage/create-app@0.9.2';
const YARN1 = '1.22.22';
const artifacts = path.join(root, 'e2e-artifacts');
const reportFile = path.join(artifacts, 'adopter.json');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = name => argv.includes(name);
const option = name => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = option('--only');
if (only && !['new', 'legacy'].includes(only)) {
  console.error(`--only takes new or legacy, not '${only}'`);
  process.exit(2);
}
const flavours = only ? [only] : ['new', 'legacy'];
const keep = flag('--keep');
const reuseApp = option('--reuse-app');
if (reuseApp && !only) {
  console.error('--reuse-app needs --only new|legacy');
  process.exit(2);
}

// ---------------------------------------------------------------- report

const checks = [];
const timings = {};
const notes = {};

function record(name, ok, detail, ms) {
  checks.push({ name, ok, detail: detail ?? '', ms });
  const d = detail ? ` — ${String(detail).split('\n')[0].slice(0, 300)}` : '';
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}${
      ms !== undefined ? ` (${ms} ms)` : ''
    }${d}`,
  );
  // A failure shows its whole story here: the temporary app is gone after.
  if (!ok && detail && String(detail).includes('\n')) {
    console.log(
      String(detail)
        .split('\n')
        .slice(1)
        .map(l => `     ${l}`)
        .join('\n'),
    );
  }
}

/** Runs fn as a check; returns its value, or throws after recording. */
async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    record(
      name,
      true,
      typeof detail === 'string' ? detail : '',
      Date.now() - started,
    );
    return detail;
  } catch (e) {
    record(name, false, e.message || String(e), Date.now() - started);
    throw e;
  }
}

/** Times a phase into timings[flavour][phase] (seconds). */
async function phase(flavour, name, fn) {
  const started = Date.now();
  console.log(`\n== ${flavour}: ${name}`);
  try {
    return await fn();
  } finally {
    const s = Math.round((Date.now() - started) / 100) / 10;
    (timings[flavour] ??= {})[name] = s;
    console.log(`== ${flavour}: ${name} took ${s} s`);
  }
}

function writeReport() {
  fs.mkdirSync(artifacts, { recursive: true });
  fs.writeFileSync(
    reportFile,
    JSON.stringify({ checks, timings, ...notes }, null, 2),
  );
}

// ---------------------------------------------------------------- processes

const children = [];
function startProcess(logFile, cmd, args, { cwd, env }) {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', log, log] });
  child.logFile = logFile;
  children.push(child);
  return child;
}
function stopAll() {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopAll();
    process.exit(130);
  });
}
const tail = (file, n = 25) =>
  fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n')
    : '';

/** The last warnings and errors of a backend log, without request lines. */
const quietTail = (file, n = 25) =>
  tail(file, 100000)
    .split('\n')
    .filter(l => !/rootHttpRouter/.test(l) && /warn|error|Error/.test(l))
    .slice(-n)
    .join('\n');

// ---------------------------------------------------------------- tools

/** yarn 1 from npm, cached in .tools/; the app's own yarn 4 does the work. */
function ensureYarn1() {
  const prefix = path.join(root, '.tools', `yarn-${YARN1}`);
  const bin = path.join(prefix, 'node_modules', '.bin');
  if (
    !fs.existsSync(path.join(bin, 'yarn')) &&
    !npmInstallInto(prefix, `yarn@${YARN1}`)
  ) {
    throw new Error(`npm install yarn@${YARN1} failed (see above)`);
  }
  return bin;
}

/** The environment an adopter's shell has: Node 24, yarn 1 on the PATH. */
function adopterEnv(yarnBin, extra = {}) {
  const env = buildEnv(extra);
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${yarnBin}${
    path.delimiter
  }${env.PATH}`;
  // Yarn's own global cache (~/.yarn/berry), as on an adopter's machine;
  // the repository's install has filled it with most of the release.
  if (process.env.ADOPTER_YARN_GLOBAL_FOLDER) {
    env.YARN_GLOBAL_FOLDER = process.env.ADOPTER_YARN_GLOBAL_FOLDER;
  }
  env.YARN_ENABLE_GLOBAL_CACHE = 'true';
  // Adding packages writes the app's lockfile; under CI=true yarn would
  // refuse (immutable installs), which is not what an adopter runs.
  env.YARN_ENABLE_IMMUTABLE_INSTALLS = 'false';
  env.YARN_ENABLE_TELEMETRY = '0';
  env.YARN_ENABLE_PROGRESS_BARS = 'false';
  env.YARN_ENABLE_INLINE_BUILDS = '0';
  // The README's backend config reads the Jenkins token from here.
  env.JENKINS_API_TOKEN = 'sandbox-token';
  // Scripts of the repository (pack.js) must not leak into the app.
  delete env.npm_config_prefix;
  delete env.INIT_CWD;
  return env;
}

// ---------------------------------------------------------------- READMEs

/** Every `<!-- snippet: id -->` block of the plugin READMEs (plugins/<name>/README.md), by id. */
function readSnippets() {
  const snippets = {};
  for (const dir of fs.readdirSync(path.join(root, 'plugins'))) {
    const file = path.join(root, 'plugins', dir, 'README.md');
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const re = /<!-- snippet: ([\w-]+) -->\s*\n\s*```(\w*)\n([\s\S]*?)\n```/g;
    let m;
    let prevEnd = 0;
    while ((m = re.exec(text))) {
      if (snippets[m[1]]) throw new Error(`snippet ${m[1]} is defined twice`);
      snippets[m[1]] = {
        id: m[1],
        lang: m[2],
        code: m[3],
        readme: path.relative(root, file),
        // The prose since the previous snippet: where the README says it goes.
        prose: text.slice(prevEnd, m.index),
      };
      prevEnd = m.index + m[0].length;
    }
  }
  return snippets;
}

/** Package name → dist-packages tarball, from scripts/pack.js. */
function tarballsByName() {
  const { PACKAGES, outDir } = require('./pack');
  return Object.fromEntries(
    PACKAGES.map(p => [p.name, path.join(outDir, `${p.dir}.tgz`)]),
  );
}

// ---------------------------------------------------------------- editing

const read = (app, file) => fs.readFileSync(path.join(app, file), 'utf8');
const write = (app, file, text) => fs.writeFileSync(path.join(app, file), text);

function indent(code, pad) {
  return code
    .split('\n')
    .map(l => (l ? pad + l : l))
    .join('\n');
}

/** Index just past the last top-level import statement. */
function endOfImports(src) {
  const re = /^import\s[\s\S]*?['"][^'"\n]+['"];?[ \t]*$/gm;
  let end = 0;
  let m;
  while ((m = re.exec(src))) end = m.index + m[0].length;
  if (!end) throw new Error('no import statements found');
  return end;
}

function insertImports(src, code) {
  const at = endOfImports(src);
  return `${src.slice(0, at)}\n${code}${src.slice(at)}`;
}

/** Index of the `>` ending the tag that starts at `at`, skipping {…} props. */
function endOfTag(src, at) {
  let braces = 0;
  for (let i = at + 1; i < src.length; i++) {
    const c = src[i];
    if (c === '{') braces += 1;
    else if (c === '}') braces -= 1;
    else if (c === '>' && braces === 0) return i;
  }
  throw new Error(`unterminated tag at ${at}`);
}

/**
 * The element opened at `openAt` (the index of its `<Tag`): the index of its
 * matching `</Tag>`, counting nested same-name elements.
 */
function matchingClose(src, openAt, tag) {
  const re = new RegExp(`<${tag}(?=[\\s>])|</${tag}>`, 'g');
  re.lastIndex = openAt;
  let depth = 0;
  let m;
  while ((m = re.exec(src))) {
    if (m[0].startsWith('</')) {
      depth -= 1;
      if (depth === 0) return m.index;
    } else {
      // A self-closing element does not nest.
      const gt = endOfTag(src, m.index);
      if (src[gt - 1] !== '/') depth += 1;
    }
  }
  throw new Error(`no closing </${tag}> found`);
}

/** Inserts `code` as the last child of the element opened at `openAt`. */
function insertAsLastChild(src, openAt, tag, code) {
  const close = matchingClose(src, openAt, tag);
  const lineStart = src.lastIndexOf('\n', close) + 1;
  const pad = src.slice(lineStart, close).match(/^\s*/)[0];
  return `${src.slice(0, lineStart)}${indent(code, `${pad}  `)}\n${src.slice(
    lineStart,
  )}`;
}

function findOrThrow(src, needle, what) {
  const i =
    typeof needle === 'string' ? src.indexOf(needle) : src.search(needle);
  if (i < 0) throw new Error(`${what}: ${needle} not found`);
  return i;
}

/** Tokens of a TS source, for comparing files up to formatting. */
const tokens = src =>
  src
    .replace(/\/\/.*$/gm, '')
    .replace(/,(\s*[\])}])/g, '$1')
    .replace(/\s+/g, '');

/**
 * `yarn --cwd DIR add PKG[@RANGE] …` from an install snippet, as
 * { dir, deps: [[name, range]] }. A packed package gets its tarball.
 */
function parseYarnAdd(snippet, tarballs) {
  const m = /^yarn --cwd (\S+) add (.+)$/.exec(snippet.code.trim());
  if (!m) throw new Error(`${snippet.id}: not a 'yarn --cwd DIR add PKG' line`);
  const deps = m[2]
    .trim()
    .split(/\s+/)
    .map(spec => {
      const at = spec.lastIndexOf('@');
      const [name, range] =
        at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
      if (tarballs[name]) return [name, null];
      if (!range)
        throw new Error(`${snippet.id}: ${name} has no version range`);
      return [name, range];
    });
  return { dir: m[1], deps };
}

// ---------------------------------------------------------------- wiring

/**
 * Where each README snippet goes, as the README's text says it. `says`
 * lists words the README's prose before the snippet must contain, so a
 * README that moves a snippet elsewhere fails here instead of drifting.
 */
const WIRING = {
  new: [
    { id: 'frontend-install', kind: 'install' },
    {
      id: 'nfs-app-config',
      kind: 'config-present',
      file: 'app-config.yaml',
      says: ['app-config.yaml'],
    },
    {
      id: 'nfs-app-tsx',
      kind: 'whole-file',
      file: 'packages/app/src/App.tsx',
      says: ['packages/app/src/App.tsx', 'create-app', 'Batch Jobs'],
    },
  ],
  legacy: [
    { id: 'frontend-install', kind: 'install' },
    {
      id: 'legacy-app-entity-page-imports',
      kind: 'imports',
      file: 'packages/app/src/components/catalog/EntityPage.tsx',
      says: ['packages/app/src/components/catalog/EntityPage.tsx', 'imports'],
    },
    {
      id: 'legacy-app-entity-page-cards',
      kind: 'last-child',
      file: 'packages/app/src/components/catalog/EntityPage.tsx',
      after: 'const overviewContent',
      tag: 'Grid',
      says: ['overviewContent', '<Grid container>', 'after its last'],
    },
    {
      id: 'legacy-app-entity-page-tab',
      kind: 'last-child',
      file: 'packages/app/src/components/catalog/EntityPage.tsx',
      after: ['const serviceEntityPage', 'const websiteEntityPage'],
      tag: 'EntityLayout',
      says: ['serviceEntityPage', 'websiteEntityPage', 'EntityLayout.Route'],
    },
    {
      id: 'legacy-app-imports',
      kind: 'imports',
      file: 'packages/app/src/App.tsx',
      says: ['packages/app/src/App.tsx', 'Imports'],
    },
    {
      id: 'legacy-app-fleet-route',
      kind: 'last-child',
      file: 'packages/app/src/App.tsx',
      after: '<FlatRoutes>',
      tag: 'FlatRoutes',
      says: ['<FlatRoutes>', 'after the other'],
    },
    { id: 'legacy-app-install-scaffolder-react', kind: 'install' },
    {
      id: 'legacy-app-scaffolder-route',
      kind: 'replace',
      file: 'packages/app/src/App.tsx',
      find: /<Route\s+path="\/create"\s+element=\{<ScaffolderPage \/>\}\s*\/>/,
      says: [
        'in place of `<Route path="/create" element={<ScaffolderPage />} />`',
        '<FlatRoutes>',
      ],
    },
    {
      id: 'legacy-app-sidebar-imports',
      kind: 'imports',
      file: 'packages/app/src/components/Root/Root.tsx',
      says: ['packages/app/src/components/Root/Root.tsx', 'Imports'],
    },
    {
      id: 'legacy-app-sidebar-item',
      kind: 'after-last',
      file: 'packages/app/src/components/Root/Root.tsx',
      within: ['<SidebarGroup label="Menu"', 'SidebarGroup'],
      last: /<SidebarItem\b[^>]*\/>/g,
      says: ['<SidebarGroup label="Menu">', 'after its last', 'SidebarItem'],
    },
  ],
  backend: [
    { id: 'backend-install', kind: 'install' },
    {
      id: 'backend-add',
      kind: 'before',
      file: 'packages/backend/src/index.ts',
      find: 'backend.start();',
      says: ['packages/backend/src/index.ts', 'before `backend.start()`'],
    },
    {
      id: 'backend-config',
      kind: 'append',
      file: 'app-config.yaml',
      says: ['app-config.yaml'],
    },
    // The frontend README shows the same annotation: it must not differ.
    {
      id: 'frontend-catalog-annotation',
      kind: 'same-as',
      other: 'backend-catalog-annotation',
    },
    {
      id: 'backend-catalog-annotation',
      kind: 'entity',
      file: 'examples/entities.yaml',
      says: ['catalog-info.yaml'],
    },
    { id: 'scaffolder-module-install', kind: 'install' },
    {
      id: 'scaffolder-module-add',
      kind: 'after',
      file: 'packages/backend/src/index.ts',
      find: "backend.add(import('@backstage/plugin-scaffolder-backend'));",
      says: ['packages/backend/src/index.ts', 'next to the scaffolder backend'],
    },
  ],
};

/**
 * The entity that carries the README's annotation: a service named as the
 * job folder the README's ownership binding gives it (payments-settlement,
 * which the sandbox has in every VPC).
 */
function entityWithAnnotation(snippetYaml, name) {
  if (!/^metadata:\n\s+annotations:\n/.test(snippetYaml))
    throw new Error('the annotation snippet is not `metadata: annotations:`');
  const metadata = snippetYaml.replace(
    /^metadata:\n/,
    `metadata:\n  name: ${name}\n`,
  );
  return [
    '---',
    '# Added by scripts/adopter-smoke.js: the annotation from the Batch Jobs README.',
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    metadata,
    'spec:',
    '  type: service',
    '  lifecycle: production',
    '  owner: guests',
    '',
  ].join('\n');
}

/** Applies the README snippets of one kind of app. Returns the ids applied. */
function applyWiring(app, flavour, snippets, tarballs) {
  const applied = [];
  const deps = { 'packages/app': {}, 'packages/backend': {} };
  for (const step of [...WIRING[flavour], ...WIRING.backend]) {
    const s = snippets[step.id];
    if (!s) throw new Error(`no snippet '${step.id}' in plugins/*/README.md`);
    for (const word of step.says ?? []) {
      if (!s.prose.replace(/\s+/g, ' ').includes(word))
        throw new Error(
          `${s.readme}: the text before snippet ${step.id} no longer says '${word}' (where it goes); update WIRING in scripts/adopter-smoke.js`,
        );
    }
    let src =
      step.file && fs.existsSync(path.join(app, step.file))
        ? read(app, step.file)
        : undefined;
    switch (step.kind) {
      case 'install': {
        const { dir, deps: list } = parseYarnAdd(s, tarballs);
        if (!deps[dir])
          throw new Error(`${step.id}: unexpected directory ${dir}`);
        for (const [name, range] of list) deps[dir][name] = range;
        break;
      }
      case 'config-present':
        // `app: packages: all` — create-app's app-config.yaml has it already.
        for (const line of s.code.split('\n').filter(l => l.trim())) {
          if (!src.split('\n').some(l => l.trimEnd() === line.trimEnd()))
            throw new Error(
              `${step.file} lacks '${line.trim()}' that the README says it has`,
            );
        }
        break;
      case 'whole-file': {
        // The README shows the file as create-app makes it plus lines marked
        // `Batch Jobs`: without them it must be the created file.
        const without = s.code
          .split('\n')
          .filter(l => !/\/\/ Batch Jobs/.test(l))
          .join('\n');
        if (tokens(without) !== tokens(src))
          throw new Error(
            `${step.file} as create-app made it is not the README's version without the Batch Jobs lines:\n--- created\n${src}\n--- README without Batch Jobs lines\n${without}`,
          );
        src = `${s.code}\n`;
        break;
      }
      case 'imports':
        src = insertImports(src, s.code);
        break;
      case 'last-child':
        for (const after of [].concat(step.after)) {
          const from = findOrThrow(src, after, step.file);
          const open =
            findOrThrow(
              src.slice(from),
              new RegExp(`<${step.tag}(?=[\\s>])`),
              step.file,
            ) + from;
          src = insertAsLastChild(src, open, step.tag, s.code);
        }
        break;
      case 'replace': {
        findOrThrow(src, step.find, step.file);
        const pad = src
          .slice(src.lastIndexOf('\n', src.search(step.find)) + 1)
          .match(/^\s*/)[0];
        src = src.replace(step.find, indent(s.code, pad).trimStart());
        break;
      }
      case 'after-last': {
        const [openText, tag] = step.within;
        const open = findOrThrow(src, openText, step.file);
        const close = matchingClose(src, open, tag);
        const inside = src.slice(open, close);
        const all = [...inside.matchAll(step.last)];
        if (!all.length)
          throw new Error(`${step.file}: no ${step.last} inside ${openText}`);
        const lastMatch = all[all.length - 1];
        const at = open + lastMatch.index + lastMatch[0].length;
        const lineStart = src.lastIndexOf('\n', open + lastMatch.index) + 1;
        const pad = src.slice(lineStart).match(/^\s*/)[0];
        src = `${src.slice(0, at)}\n${indent(s.code, pad)}${src.slice(at)}`;
        break;
      }
      case 'before':
      case 'after': {
        const i = findOrThrow(src, step.find, step.file);
        const at = step.kind === 'before' ? i : i + step.find.length;
        src =
          step.kind === 'before'
            ? `${src.slice(0, at)}${s.code}\n\n${src.slice(at)}`
            : `${src.slice(0, at)}\n${s.code}${src.slice(at)}`;
        break;
      }
      case 'append':
        src = `${src.trimEnd()}\n\n# Batch Jobs (plugins/batch-jobs-backend/README.md)\n${
          s.code
        }\n`;
        break;
      case 'same-as':
        if (s.code !== snippets[step.other]?.code)
          throw new Error(
            `snippet ${step.id} (${s.readme}) differs from ${step.other}`,
          );
        break;
      case 'entity':
        src = `${src.trimEnd()}\n${entityWithAnnotation(
          s.code,
          'payments-settlement',
        )}`;
        break;
      default:
        throw new Error(`unknown wiring kind ${step.kind}`);
    }
    if (step.file && src !== undefined) write(app, step.file, src);
    applied.push(step.id);
  }
  return { applied, deps };
}

/**
 * package.json edits: the README's dependencies, our packages as file:
 * tarballs (content-hashed copies inside the app, so yarn's cache never
 * serves an older tarball under the same name), root resolutions for our
 * packages that others depend on, and create-app 0.9.2's own defect fixed.
 */
function writeDependencies(app, deps, tarballs) {
  const store = path.join(app, 'batch-jobs-packages');
  fs.mkdirSync(store, { recursive: true });
  const local = {};
  for (const [name, tgz] of Object.entries(tarballs)) {
    const hash = crypto
      .createHash('sha256')
      .update(fs.readFileSync(tgz))
      .digest('hex')
      .slice(0, 12);
    const file = `${path.basename(tgz, '.tgz')}-${hash}.tgz`;
    fs.copyFileSync(tgz, path.join(store, file));
    local[name] = path.join(store, file);
  }
  const edit = (rel, fn) => {
    const file = path.join(app, rel, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    fn(pkg);
    fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  };
  const fixes = [];
  for (const [dir, list] of Object.entries(deps)) {
    edit(dir, pkg => {
      for (const [name, range] of Object.entries(list)) {
        pkg.dependencies[name] =
          range ?? `file:${path.relative(path.join(app, dir), local[name])}`;
      }
      // create-app 0.9.2 pins backend-defaults ^0.18, with which its own
      // signals backend does not start (addWebSocketHandler is missing).
      const bd = pkg.dependencies['@backstage/backend-defaults'];
      if (bd && /^\^0\.18\./.test(bd)) {
        pkg.dependencies['@backstage/backend-defaults'] = '^0.19.0';
        fixes.push(
          `${dir}: @backstage/backend-defaults ${bd} → ^0.19.0 (create-app template defect)`,
        );
      }
    });
  }
  // Our packages that our other packages depend on are not on the registry.
  edit('.', pkg => {
    pkg.resolutions ??= {};
    for (const name of [
      '@batch-jobs/plugin-batch-jobs-common',
      '@batch-jobs/plugin-batch-jobs-node',
    ]) {
      pkg.resolutions[name] = `file:./${path.relative(app, local[name])}`;
    }
  });
  return fixes;
}

// ---------------------------------------------------------------- app config

function sandboxConfig({ backendPort, sandboxUrl, awsUrl }) {
  // The adopter's environment: their Jenkins and AWS are the sandbox here.
  // Arrays replace whole, so the README's jenkins and vpcs lists are
  // replaced; its ownership binding and the rest stay.
  const aws = [
    '      aws:',
    '        region: us-east-1',
    `        endpoint: ${awsUrl}`,
    '        credentials:',
    '          accessKeyId: sandbox',
    '          secretAccessKey: sandbox',
  ];
  return [
    ...sandboxPortalConfig({
      backendPort,
      jenkins: {
        name: 'main',
        baseUrl: sandboxUrl,
        apiToken: '${JENKINS_API_TOKEN}',
      },
    }),
    '  vpcs:',
    ...['DEV', 'STG', 'PROD'].flatMap(vpc => [
      `    - name: ${vpc}`,
      '      jenkins: main',
      `      folder: ${vpc}`,
      ...aws,
      ...(vpc === 'PROD' ? ['      requireApproval: true'] : []),
    ]),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- start

async function guestToken(backendUrl) {
  const res = await fetch(
    `${backendUrl}/api/auth/guest/refresh?env=development`,
    {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    },
  );
  if (!res.ok) throw new Error(`guest refresh: HTTP ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

async function waitForEntity(backendUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const token = await guestToken(backendUrl);
      const res = await fetch(
        `${backendUrl}/api/catalog/entities/by-name/component/default/payments-settlement`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline)
      throw new Error(
        `the catalog did not list component:default/payments-settlement in time (${last})`,
      );
    await new Promise(r => setTimeout(r, 1000));
  }
}

async function startApp(app, env, logDir) {
  const [sandboxPort, awsPort, backendPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const backendUrl = `http://localhost:${backendPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const awsUrl = `http://127.0.0.1:${awsPort}`;
  const override = path.join(logDir, 'app-config.sandbox.yaml');
  fs.writeFileSync(
    override,
    sandboxConfig({ backendUrl, backendPort, sandboxUrl, awsUrl }),
  );

  const sandbox = startProcess(
    path.join(logDir, 'sandbox.log'),
    process.execPath,
    [
      'packages/sandbox/bin/sandbox.js',
      '--port',
      String(sandboxPort),
      '--aws-port',
      String(awsPort),
    ],
    { cwd: root, env: buildEnv() },
  );
  await waitForHttp(`${sandboxUrl}/__sandbox/health`, 60000).catch(e => {
    throw new Error(`${e.message}\n${tail(sandbox.logFile)}`);
  });

  // What `yarn start` runs for the backend, without the file watcher.
  const transform = require.resolve(
    '@backstage/cli-node/config/nodeTransform.cjs',
    {
      paths: [path.join(app, 'packages/backend'), app],
    },
  );
  const backend = startProcess(
    path.join(logDir, 'backend.log'),
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      transform,
      'src/index.ts',
      '--config',
      '../../app-config.yaml',
      '--config',
      override,
    ],
    {
      cwd: path.join(app, 'packages/backend'),
      env: { ...env, NODE_ENV: 'development' },
    },
  );
  try {
    await waitForHttp(`${backendUrl}/api/batch-jobs/health`, 180000);
    await waitForEntity(backendUrl, 120000);
  } catch (e) {
    throw new Error(
      `${e.message}\n--- backend log\n${tail(backend.logFile, 40)}`,
    );
  }
  return { backendUrl, sandboxUrl, backend, sandbox };
}

// ---------------------------------------------------------------- smoke

async function smoke(flavour, backendUrl) {
  const { browser, page, pageErrors } = await openBrowserPage(chromiumPath);
  const shot = name =>
    page
      .screenshot({
        path: path.join(artifacts, `adopter-${flavour}-${name}.png`),
        fullPage: true,
      })
      .catch(() => {});
  const step = async (name, fn) => {
    try {
      const detail = await check(
        `${flavour}: ${name.replace(/^\d+-/, '').replace(/-/g, ' ')}`,
        fn,
      );
      await shot(name);
      return detail;
    } catch (e) {
      await shot(`${name}-FAILED`);
      throw e;
    }
  };
  /** The guest sign-in page can show again after a full page load. */
  const signInIfAsked = async ready => {
    const enter = page.getByRole('button', { name: 'Enter' });
    await Promise.race([enter.waitFor(), ready.waitFor()]);
    if (await enter.isVisible()) {
      await enter.click();
      await ready.waitFor();
    }
  };

  try {
    await step('01-guest-sign-in', async () => {
      // The catalog is the home page: at / in a new-frontend-system app
      // (create-app's config), / redirects to /catalog in a legacy one.
      await page.goto(`${backendUrl}/`);
      await signInIfAsked(page.getByText('payments-settlement').first());
    });

    await step('02-overview-card', async () => {
      await page
        .getByRole('link', { name: 'payments-settlement' })
        .first()
        .click();
      await page.getByText('Recent failures across VPCs').waitFor();
    });

    await step('03-batch-jobs-tab-three-vpcs', async () => {
      // A tab in a legacy app; a link styled as a tab in the new one.
      await page
        .getByRole('tab', { name: 'Batch Jobs', exact: true })
        .or(page.getByRole('link', { name: 'Batch Jobs', exact: true }))
        .first()
        .click();
      await page.getByText('Jobs in DEV').waitFor();
      for (const vpc of ['DEV', 'STG', 'PROD']) {
        await page.getByRole('tab', { name: new RegExp(`^${vpc}`) }).waitFor();
      }
      await page
        .getByRole('link', { name: 'migrate-ledger', exact: true })
        .waitFor();
      return 'tabs DEV, STG, PROD; DEV lists migrate-ledger';
    });

    let failedBuild;
    await step('04-build-log', async () => {
      await page
        .getByRole('link', { name: 'migrate-ledger', exact: true })
        .click();
      const rerun = page
        .getByRole('button', { name: /^Rerun build #\d+$/ })
        .first();
      await rerun.waitFor();
      failedBuild = Number(
        (await rerun.getAttribute('aria-label')).match(/#(\d+)/)[1],
      );
      await page
        .getByRole('cell', { name: `#${failedBuild}`, exact: true })
        .first()
        .click();
      await page.getByLabel(`Console log of build #${failedBuild}`).waitFor();
      await page.getByText('Finished: FAILURE').first().waitFor();
      return `log of DEV migrate-ledger #${failedBuild}`;
    });

    let newBuild;
    await step('05-rerun', async () => {
      await page
        .getByRole('button', { name: `Rerun build #${failedBuild}` })
        .click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('recorded in the audit trail').waitFor();
      await dialog.getByRole('button', { name: 'Rerun', exact: true }).click();
      const started = dialog.getByText(/build #\d+/);
      await started.first().waitFor({ timeout: 60000 });
      newBuild = Number(
        (await started.first().textContent()).match(/#(\d+)/)[1],
      );
      if (!(newBuild > failedBuild))
        throw new Error(
          `new build #${newBuild} is not newer than #${failedBuild}`,
        );
      return `#${failedBuild} rerun as #${newBuild}`;
    });

    await step('06-rerun-audited', async () => {
      // The backend's audit trail, as the Audit view reads it.
      const token = await guestToken(backendUrl);
      const res = await fetch(
        `${backendUrl}/api/batch-jobs/audit?entityRef=${encodeURIComponent(
          'component:default/payments-settlement',
        )}&limit=20`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      if (!res.ok)
        throw new Error(
          `GET /api/batch-jobs/audit: HTTP ${res.status} ${await res.text()}`,
        );
      const { items } = await res.json();
      const row = items.find(
        i =>
          i.action === 'build.rerun' &&
          i.target.endsWith(`migrate-ledger#${failedBuild}`),
      );
      if (!row)
        throw new Error(
          `no build.rerun row for #${failedBuild}: ${JSON.stringify(
            items,
          ).slice(0, 500)}`,
        );
      if (row.actor !== 'user:development/guest')
        throw new Error(`actor is ${row.actor}`);
      // And the UI's Audit view shows it.
      await page.keyboard.press('Escape');
      await page.getByRole('tab', { name: 'Audit' }).click();
      await page.getByText('Rerun build').first().waitFor();
      return `${row.action} ${row.target} by ${row.actor}, outcome ${row.outcome}`;
    });

    await step('07-batch-fleet-page', async () => {
      const nav = page.getByRole('link', { name: 'Batch Fleet' });
      await nav.first().waitFor();
      await nav.first().click();
      for (const vpc of ['DEV', 'STG', 'PROD']) {
        await page.getByText(`${vpc} agents`).first().waitFor();
      }
      await page
        .getByText(/-EC2-AGENT/)
        .first()
        .waitFor();
      const agents = await page.getByText(/-EC2-AGENT/).count();
      return `nav item present; ${agents} EC2 agent mentions in DEV, STG, PROD`;
    });
  } finally {
    await browser.close();
    if (pageErrors.length)
      console.log(
        `   page errors (${flavour}): ${pageErrors.slice(0, 5).join(' | ')}`,
      );
  }
}

/** create-app, README wiring, install, tsc and the frontend build. */
async function prepareApp(flavour, ctx, { tmp, app, logDir, yarn, env }) {
  await phase(flavour, 'create-app', () =>
    check(`${flavour}: create-app`, () => {
      runOrThrow(
        'npx',
        [
          '--yes',
          CREATE_APP,
          ...(flavour === 'legacy' ? ['--legacy'] : []),
          '--skip-install',
          '--path',
          app,
        ],
        {
          cwd: tmp,
          env,
          input: 'myapp\n',
          what: CREATE_APP,
          logFile: path.join(logDir, 'create-app.log'),
        },
      );
      const backstage = JSON.parse(read(app, 'backstage.json')).version;
      return `${CREATE_APP}${
        flavour === 'legacy' ? ' --legacy' : ''
      }: Backstage ${backstage}`;
    }),
  );

  await phase(flavour, 'install', async () => {
    let deps;
    await check(`${flavour}: README wiring applies`, () => {
      const result = applyWiring(app, flavour, ctx.snippets, ctx.tarballs);
      deps = result.deps;
      return `snippets ${result.applied.join(', ')}`;
    });
    await check(
      `${flavour}: yarn install (tarballs, no workspace links)`,
      () => {
        const fixes = writeDependencies(app, deps, ctx.tarballs);
        yarn(['install'], 'yarn install', 'install');
        // Our packages must come from the tarballs, not from a link.
        for (const name of Object.keys(ctx.tarballs)) {
          const dir = path.join(app, 'node_modules', name);
          if (!fs.existsSync(dir)) continue; // e.g. the policy module: not installed
          if (fs.lstatSync(dir).isSymbolicLink())
            throw new Error(`${name} is a link`);
          if (fs.existsSync(path.join(dir, 'src')))
            throw new Error(
              `${name} was installed with its src/ (not a packed tarball)`,
            );
        }
        return fixes.join('; ');
      },
    );
  });

  await phase(flavour, 'build', async () => {
    await check(`${flavour}: yarn tsc`, () => {
      yarn(['tsc'], 'yarn tsc', 'tsc');
    });
    await check(`${flavour}: frontend build`, () => {
      yarn(['workspace', 'app', 'build'], 'yarn workspace app build', 'build');
    });
  });
}

// ---------------------------------------------------------------- one app

async function runFlavour(flavour, ctx) {
  const tmp = reuseApp
    ? path.dirname(path.resolve(reuseApp))
    : fs.mkdtempSync(path.join(os.tmpdir(), `batch-jobs-adopter-${flavour}-`));
  const app = path.join(tmp, 'app');
  const logDir = path.join(tmp, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const env = adopterEnv(ctx.yarnBin);
  const yarn = (args, what, logName) =>
    runOrThrow('yarn', args, {
      cwd: app,
      env,
      what,
      logFile: path.join(logDir, `${logName}.log`),
    });
  console.log(`\n### ${flavour} app in ${app}`);
  try {
    if (!reuseApp)
      await prepareApp(flavour, ctx, { tmp, app, logDir, yarn, env });
    else
      record(`${flavour}: reusing ${app} (--reuse-app: not a fresh app)`, true);

    const started = await phase(flavour, 'start', () =>
      check(`${flavour}: backend starts against the sandbox`, async () => {
        const s = await startApp(app, env, logDir);
        ctx.running = s;
        return `${s.backendUrl} (sandbox ${s.sandboxUrl})`;
      }).then(() => ctx.running),
    );

    await phase(flavour, 'smoke', () => smoke(flavour, started.backendUrl));
    return true;
  } catch (e) {
    if (!checks.length || checks[checks.length - 1].ok)
      record(`${flavour}: run`, false, e.message);
    if (ctx.running) {
      console.log(
        `--- backend log, errors and warnings (${ctx.running.backend.logFile})`,
      );
      console.log(quietTail(ctx.running.backend.logFile));
    }
    return false;
  } finally {
    stopAll();
    ctx.running = undefined;
    if (keep) console.log(`kept ${flavour} app: ${app} (logs in ${logDir})`);
    else if (!reuseApp) {
      // The logs outlive the app: CI keeps e2e-artifacts/.
      if (fs.existsSync(logDir)) {
        fs.cpSync(logDir, path.join(artifacts, `adopter-${flavour}-logs`), {
          recursive: true,
        });
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------- main

async function main() {
  ensureInstalled(); // also re-runs this script under Node 22/24
  fs.rmSync(reportFile, { force: true });
  for (const f of fs.existsSync(artifacts) ? fs.readdirSync(artifacts) : []) {
    if (
      flavours.some(
        fl =>
          f.startsWith(`adopter-${fl}-`) &&
          (f.endsWith('.png') || f === `adopter-${fl}-logs`),
      )
    )
      fs.rmSync(path.join(artifacts, f), { recursive: true, force: true });
  }
  if (!fs.existsSync(chromiumPath)) {
    console.error(
      `No Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
    process.exit(2);
  }
  const allStarted = Date.now();
  const ctx = {};
  try {
    await phase('all', 'pack', () =>
      check('pack: publishable packages to dist-packages/*.tgz', () => {
        const tarballs = tarballsByName();
        const missing = Object.values(tarballs).filter(t => !fs.existsSync(t));
        if (flag('--skip-pack') && !missing.length)
          return 'reused (--skip-pack)';
        require('./pack').pack();
        return Object.values(tarballs)
          .map(t => path.basename(t))
          .join(', ');
      }),
    );
    ctx.tarballs = tarballsByName();
    ctx.snippets = readSnippets();
    const used = new Set(
      Object.values(WIRING)
        .flat()
        .map(w => w.id),
    );
    const unused = Object.keys(ctx.snippets).filter(id => !used.has(id));
    // Optional or reference snippets the smoke does not apply (policy module,
    // config variants, template steps, library examples).
    notes.snippetsNotApplied = unused;
    console.log(
      `README snippets not applied by this smoke (optional or reference): ${unused.join(
        ', ',
      )}`,
    );
    ctx.yarnBin = ensureYarn1();
  } catch (e) {
    writeReport();
    process.exit(1);
  }
  for (const flavour of flavours) await runFlavour(flavour, ctx);
  timings.totalSeconds = Math.round((Date.now() - allStarted) / 1000);
  writeReport();

  console.log('\nPhase timings (s):');
  for (const [who, t] of Object.entries(timings)) {
    if (typeof t === 'object')
      console.log(
        `  ${who.padEnd(7)} ${Object.entries(t)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
  }
  console.log(`  total   ${timings.totalSeconds}`);
  const failed = checks.filter(c => !c.ok);
  console.log(
    `\n${checks.length - failed.length} passed, ${
      failed.length
    } failed; report ${path.relative(root, reportFile)}`,
  );
  process.exit(failed.length ? 1 : 0);
}

main().catch(e => {
  console.error(e.stack || e.message);
  writeReport();
  process.exit(1);
});
