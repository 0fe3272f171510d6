#!/usr/bin/env node
// `npm test`: installs the Debian packages the suite needs, builds, type-checks,
// runs the unit tests, then brings the lab up once and runs the integration
// tests against it, printing the time each test file took. Ends with one
// line "tests: N passed, N failed".
//
//   npm test                 everything
//   npm test -- --unit       unit tests only (no root, no lab)
//   npm test -- FILE…        only these test files

import { spawnSync, spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

// What the tests need on the runner machine; the lab installs its own.
const DEBIAN_PACKAGES = ['openssh-server', 'openssh-client', 'rsync', 'shellcheck', 'python3', 'iproute2', 'nftables', 'iputils-ping', 'ansible'];

function log(line) {
  process.stdout.write(`${line}\n`);
}

function run(cmd, argv, options = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...options });
  return { code: r.status ?? 1, seconds: (Date.now() - t0) / 1000 };
}

function ensureDebianPackages() {
  if (process.getuid?.() !== 0) return;
  const missing = DEBIAN_PACKAGES.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-q'], { env }).code !== 0) process.exit(1);
  if (run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env }).code !== 0) process.exit(1);
}

function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Runs node's test runner on files, echoing its output; returns counts parsed from its closing lines. */
function runTests(files, { concurrency }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      const num = (label) => Number((text.match(new RegExp(`ℹ ${label} (\\d+)`)) ?? [])[1] ?? 0);
      resolve({ code: code ?? 1, passed: num('pass'), failed: num('fail'), seconds: (Date.now() - t0) / 1000 });
    });
  });
}

const totals = { passed: 0, failed: 0 };
const timings = [];
let exitCode = 0;

ensureDebianPackages();

const build = run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
timings.push(['typecheck', build.seconds]);
if (build.code !== 0) {
  log('type check failed');
  exitCode = 1;
}
// `npm ci` has just built dist/ (the prepare script): rebuild only when a source is newer.
if (newestMtime('src') > newestMtime('dist')) {
  const compile = run('npx', ['tsc', '-p', 'tsconfig.build.json']);
  timings.push(['build', compile.seconds]);
  if (compile.code !== 0) process.exit(1);
}

const unitFiles = explicit.length ? explicit.filter((f) => !f.includes('integration')) : findTests('test/unit');
const integrationFiles = unitOnly ? [] : explicit.length ? explicit.filter((f) => f.includes('integration')) : findTests('test/integration');

if (unitFiles.length) {
  const r = await runTests(unitFiles, { concurrency: 2 });
  totals.passed += r.passed;
  totals.failed += r.failed;
  timings.push(['unit tests', r.seconds]);
  if (r.code !== 0) exitCode = 1;
}

if (integrationFiles.length) {
  const lab = ['dist/cli/bin.js', 'lab'];
  const up = run(process.execPath, [...lab, 'up', '--all-nodes']);
  timings.push(['lab up (base build included when not cached)', up.seconds]);
  if (up.code !== 0) {
    log('the lab did not come up: integration tests not run');
    exitCode = 1;
    totals.failed += integrationFiles.length;
  } else {
    try {
      // One file at a time: they share the lab.
      for (const file of integrationFiles) {
        const r = await runTests([file], { concurrency: 1 });
        totals.passed += r.passed;
        totals.failed += r.failed;
        timings.push([relative(root, file), r.seconds]);
        if (r.code !== 0) exitCode = 1;
      }
    } finally {
      const down = run(process.execPath, [...lab, 'down']);
      timings.push(['lab down', down.seconds]);
    }
  }
}

log('\ntime per step:');
for (const [what, s] of timings) log(`  ${s.toFixed(1).padStart(7)} s  ${what}`);
if (totals.failed > 0) exitCode = 1;
log(`\ntests: ${totals.passed} passed, ${totals.failed} failed`);
process.exit(exitCode);
