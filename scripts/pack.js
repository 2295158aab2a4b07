#!/usr/bin/env node
/*
 * `node scripts/pack.js [--verify]`: builds the publishable packages and packs
 * them into dist-packages/ as npm tarballs (yarn replaces workspace: ranges,
 * `backstage-cli package prepack` points main/exports at dist).
 *
 * --verify installs the tarballs into an empty directory with npm, outside
 * the workspace, and loads each backend package there, as an adopter's
 * backend would; the frontend tarball must export dist files that it holds.
 * It writes e2e-artifacts/packages.json ({ checks: [{ name, ok, error? }] }),
 * which `npm test` counts, one test per check.
 *
 * scripts/adopter-smoke.js requires pack() and PACKAGES from here.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  ensureInstalled,
  root,
  runOrThrow,
  yarnArgs,
} = require('./lib');

const PACKAGES = [
  { dir: 'batch-jobs-common', name: '@batch-jobs/plugin-batch-jobs-common' },
  { dir: 'batch-jobs-node', name: '@batch-jobs/plugin-batch-jobs-node' },
  { dir: 'batch-jobs', name: '@batch-jobs/plugin-batch-jobs', frontend: true },
  { dir: 'batch-jobs-backend', name: '@batch-jobs/plugin-batch-jobs-backend' },
  {
    dir: 'scaffolder-backend-module-batch-jobs',
    name: '@batch-jobs/plugin-scaffolder-backend-module-batch-jobs',
  },
  {
    dir: 'permission-backend-module-batch-jobs-policy',
    name: '@batch-jobs/plugin-permission-backend-module-batch-jobs-policy',
  },
];
const outDir = path.join(root, 'dist-packages');

function pack() {
  const [node, yarn] = yarnArgs([]);
  // Declarations first: package builds read them from dist-types.
  runOrThrow(node, [...yarn, 'tsc'], {
    cwd: root,
    what: 'Type declarations (yarn tsc)',
  });
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const cli = path.join(root, 'node_modules', '.bin', 'backstage-cli');
  return PACKAGES.map(p => {
    const cwd = path.join(root, 'plugins', p.dir);
    runOrThrow(cli, ['package', 'build'], {
      cwd: cwd,
      what: `Build of ${p.name}`,
    });
    const tarball = path.join(outDir, `${p.dir}.tgz`);
    runOrThrow(node, [...yarn, 'pack', '--out', tarball], {
      cwd: cwd,
      what: `yarn pack of ${p.name}`,
    });
    return { ...p, tarball };
  });
}

/** package/package.json of a tarball, and its file list. */
function readTarball(tarball) {
  const pkg = JSON.parse(
    runOrThrow('tar', ['xzf', tarball, '-O', 'package/package.json'], {
      cwd: root,
      what: 'tar',
    }),
  );
  const files = runOrThrow('tar', ['tzf', tarball], { cwd: root, what: 'tar' })
    .split('\n')
    .filter(Boolean)
    .map(f => f.replace(/^package\//, ''));
  return { pkg, files };
}

function readTarballFile(tarball, file) {
  return runOrThrow('tar', ['xzf', tarball, '-O', `package/${file}`], {
    cwd: root,
    what: 'tar',
  });
}

/** Every path an export condition names, e.g. ./dist/alpha.esm.js. */
function exportedFiles(exportsField) {
  const found = [];
  const walk = v => {
    if (typeof v === 'string') found.push(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object')
      // The `backstage` condition names a feature type, not a file.
      Object.entries(v)
        .filter(([k]) => k !== 'backstage')
        .forEach(([, x]) => walk(x));
  };
  walk(exportsField);
  return found;
}

function verify(packed) {
  const checks = [];
  const check = (name, fn) => {
    try {
      fn();
      checks.push({ name, ok: true });
      console.log(`ok   ${name}`);
    } catch (e) {
      checks.push({ name, ok: false, error: String(e.message || e) });
      console.log(`FAIL ${name}\n     ${e.message}`);
    }
  };

  for (const p of packed) {
    check(`${p.name}: tarball is publishable`, () => {
      const { pkg, files } = readTarball(p.tarball);
      const text = JSON.stringify(pkg);
      if (pkg.private) throw new Error('package.json says private');
      if (text.includes('workspace:'))
        throw new Error('a workspace: range is left in package.json');
      const missing = exportedFiles(pkg.exports)
        .concat(pkg.main ? [pkg.main] : [])
        .filter(f => !files.includes(f));
      if (missing.length)
        throw new Error(
          `exports/main name files the tarball lacks: ${missing.join(', ')}`,
        );
      if (exportedFiles(pkg.exports).some(f => f.startsWith('src/')))
        throw new Error('exports still point at src/ (prepack did not run)');
      // Adopters read these on npm: install steps, and what each version changed.
      for (const doc of ['README.md', 'CHANGELOG.md'])
        if (!files.includes(doc)) throw new Error(`the tarball lacks ${doc}`);
      const changelog = readTarballFile(p.tarball, 'CHANGELOG.md');
      if (!changelog.includes(`## ${pkg.version}`))
        throw new Error(`CHANGELOG.md has no entry for ${pkg.version}`);
    });
  }

  // An adopter's backend: the tarballs alone, from an empty directory.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-jobs-adopter-'));
  try {
    const backend = packed.filter(p => !p.frontend);
    let installed = false;
    check('backend tarballs install with npm outside the workspace', () => {
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'adopter-backend', private: true }),
      );
      runOrThrow(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--legacy-peer-deps',
          '--ignore-scripts',
          ...backend.map(p => p.tarball),
        ],
        { cwd: dir, what: 'npm install of the tarballs' },
      );
      installed = true;
    });
    for (const p of backend) {
      check(`${p.name}: loads from its tarball`, () => {
        if (!installed) throw new Error('not installed (see above)');
        const out = runOrThrow(
          process.execPath,
          [
            '-e',
            `const m = require(${JSON.stringify(
              p.name,
            )}); console.log(Object.keys(m).join(','))`,
          ],
          { cwd: dir, what: `require(${p.name})` },
        ).trim();
        if (!out) throw new Error('the package exports nothing');
        if (
          p.dir !== 'batch-jobs-common' &&
          p.dir !== 'batch-jobs-node' &&
          !out.split(',').includes('default')
        )
          throw new Error(
            `no default export (a BackendFeature for backend.add): ${out}`,
          );
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return checks;
}

function main() {
  const report = path.join(root, 'e2e-artifacts', 'packages.json');
  fs.rmSync(report, { force: true });
  ensureInstalled();
  const packed = pack();
  console.log(
    `Packed ${packed.length} packages into ${path.relative(root, outDir)}/`,
  );
  if (!process.argv.includes('--verify')) return;
  const checks = verify(packed);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.writeFileSync(report, JSON.stringify({ checks }, null, 2));
  process.exit(checks.every(c => c.ok) ? 0 : 1);
}

module.exports = { PACKAGES, outDir, pack, readTarball, verify };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e.message || e);
    process.exit(1);
  }
}
