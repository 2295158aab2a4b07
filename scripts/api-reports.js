#!/usr/bin/env node
/*
 * `yarn api-reports [--ci]`: the public API of each publishable package,
 * written by @backstage/repo-tools (API Extractor) to report*.api.md beside
 * its package.json; needs the declarations `yarn tsc` writes.
 *
 * TypeScript prints the members of an inferred union in the order it met
 * them, which shifts whenever any file of the program changes (seen with
 * the entity-content `group` union of catalog-react, and the extensions'
 * `output` unions). The order means nothing, so the members of every
 * one-per-line union are sorted: a report then changes only when the API does.
 *
 *   --ci   compare instead of write: exits 1, with the diff, when a report
 *          differs from the code (the committed reports are left as they are)
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { buildEnv, root } = require('./lib');

const ci = process.argv.includes('--ci');
const plugins = path.join(root, 'plugins');

function reportFiles() {
  return fs
    .readdirSync(plugins)
    .filter(d => fs.existsSync(path.join(plugins, d, 'package.json')))
    .flatMap(d =>
      fs
        .readdirSync(path.join(plugins, d))
        .filter(f => /^report.*\.api\.md$/.test(f))
        .map(f => path.join(plugins, d, f)),
    );
}

/**
 * Sorts the members of each union written one member per line (`| A`), a
 * member being its `|` line and the deeper-indented lines that continue it.
 */
function normalize(text) {
  const lines = text.split('\n');
  const out = [];
  const indentOf = line => /^\s*/.exec(line)[0].length;
  const memberAt = (line, indent) =>
    indentOf(line) === indent && line.slice(indent).startsWith('| ');
  let i = 0;
  while (i < lines.length) {
    if (!/^\s*\| /.test(lines[i])) {
      out.push(lines[i++]);
      continue;
    }
    const indent = indentOf(lines[i]);
    const members = [];
    while (i < lines.length && memberAt(lines[i], indent)) {
      const member = [lines[i++]];
      while (
        i < lines.length &&
        lines[i].trim() !== '' &&
        indentOf(lines[i]) > indent
      ) {
        member.push(lines[i++]);
      }
      members.push(member);
    }
    // The union's closing `;` belongs to the position, not to a member.
    const last = members[members.length - 1];
    const semicolon = last[last.length - 1].endsWith(';');
    if (semicolon) last[last.length - 1] = last[last.length - 1].slice(0, -1);
    members.sort((a, b) => (a.join('\n') < b.join('\n') ? -1 : 1));
    const sorted = members.flat();
    if (semicolon) sorted[sorted.length - 1] += ';';
    out.push(...sorted);
  }
  return out.join('\n');
}

const before = new Map(reportFiles().map(f => [f, fs.readFileSync(f, 'utf8')]));
const res = spawnSync(
  process.execPath,
  [
    path.join(
      root,
      'node_modules',
      '@backstage',
      'repo-tools',
      'bin',
      'backstage-repo-tools',
    ),
    'api-reports',
    '-o',
    'ae-wrong-input-file-type,ae-undocumented',
    '--include',
    'plugins/*',
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: buildEnv() },
);
const output = String(res.stdout);
if (res.status !== 0) {
  process.stdout.write(output);
  console.error('API Extractor failed (see above).');
  process.exit(res.status ?? 1);
}
const changed = [];
for (const file of reportFiles()) {
  const text = normalize(fs.readFileSync(file, 'utf8'));
  const old = before.get(file);
  if (old !== text) changed.push(file);
  if (ci) {
    if (old === undefined) fs.rmSync(file);
    else fs.writeFileSync(file, old);
    if (old !== text) {
      fs.writeFileSync(`${file}.new`, text);
    }
  } else {
    fs.writeFileSync(file, text);
  }
}
for (const file of before.keys()) {
  if (!fs.existsSync(file) && !ci) changed.push(`${file} (removed)`);
}
const rel = f => path.relative(root, f);
if (ci && changed.length) {
  for (const file of changed) {
    console.error(`\n${rel(file)} differs from the code:`);
    spawnSync(
      'git',
      ['--no-pager', 'diff', '--no-index', '--', file, `${file}.new`],
      {
        stdio: 'inherit',
      },
    );
    fs.rmSync(`${file}.new`, { force: true });
  }
  console.error(
    '\nRun `yarn api-reports` (after `yarn tsc`) and commit the reports.',
  );
  process.exit(1);
}
console.log(
  changed.length
    ? `API reports updated: ${changed.map(rel).join(', ')}`
    : 'API reports match the code.',
);
