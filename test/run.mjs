#!/usr/bin/env node
// `npm test`: installs the Debian packages the suite needs, then runs, as
// parallel as the lab allows:
//
//   1. at once: the type check, the unit tests, the integration tests that
//      need no lab, and the lab's pipeline (steps 2-4, which do not wait for
//      the others): `lab up` (which builds the base image when it is not
//      cached: the slow part on a fresh machine);
//   2. the lab's own acceptance test (it takes the lab down and up), beside
//      the demo's test (on a lab instance of its own);
//   3. at once: the tests that use the master/slave pair, one after the
//      other, beside the tests that use the other nodes (cc, mds, edge),
//      beside the tests that need a pair or every node of their own on a
//      second lab (instance 1: check, maintenance, CC/XDS/Edge deployments);
//   4. `lab down` of both labs.
//
// Each step's output is printed when it ends, with its time; the run ends
// with one line "tests: N passed, N failed".
//
//   npm test                 everything
//   npm test -- --unit       unit tests only (no root, no lab)
//   npm test -- FILE…        only these test files

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

// What the tests need on the runner machine; the lab installs its own.
const DEBIAN_PACKAGES = ['openssh-server', 'openssh-client', 'rsync', 'shellcheck', 'python3', 'iproute2', 'nftables', 'iputils-ping', 'ansible', 'postgresql', 'util-linux'];

// Integration tests by what they need of the lab (file names under test/integration).
const LAB_ALONE = ['lab.test.ts'];
const LAB_PAIR = ['provision.test.ts', 'replication.test.ts', 'failover.test.ts'];
// Tests that also need a pair of their own, or every node: on a second lab
// (instance 1), one after the other, beside everything that runs on the first.
const SECOND_LAB = process.env['XIVO_HA_TEST_SECOND_LAB'] ?? '1';
const LAB_SECOND = ['check.test.ts', 'maintenance.test.ts', 'deployments.test.ts'];
// The demo brings up and down a lab of its own (instance 8): beside the lab's own test, once the base image exists.
const LAB_OWN = ['demo.test.ts'];

const log = (line) => process.stdout.write(`${line}\n`);

function ensureDebianPackages() {
  if (process.getuid?.() !== 0) return;
  const installed = (p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed');
  const missing = DEBIAN_PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
    if (spawnSync('apt-get', argv, { stdio: 'inherit', env }).status !== 0) process.exit(1);
  }
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

/** Runs a command with its output buffered, printed as one block when it ends. */
function step(label, cmd, argv, { countTests = false, env = {} } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code) => {
      const seconds = (Date.now() - t0) / 1000;
      log(`\n===== ${label} (${seconds.toFixed(1)} s, exit ${code}) =====`);
      process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      const num = (name) => Number((text.match(new RegExp(`ℹ ${name} (\\d+)`)) ?? [])[1] ?? 0);
      const failed = countTests ? num('fail') + (code !== 0 && num('fail') === 0 ? 1 : 0) : 0;
      resolve({ label, code: code ?? 1, seconds, passed: countTests ? num('pass') : 0, failed });
    });
  });
}

const nodeTest = (label, files, env = {}) =>
  step(label, process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { countTests: true, env });

/** Runs test files one after the other (on lab instance `instance` when given). */
async function sequence(files, instance) {
  const results = [];
  const env = instance === undefined ? {} : { XIVO_HA_LAB_INSTANCE: instance };
  const where = instance === undefined ? '' : ` (lab instance ${instance})`;
  for (const f of files) results.push(await nodeTest(`${f.replace(`${root}/`, '')}${where}`, [f], env));
  return results;
}

ensureDebianPackages();

const results = [];
const record = (r) => results.push(...[r].flat());
const lab = ['dist/cli/bin.js', 'lab'];

if (newestMtime('src') > newestMtime('dist')) record(await step('build', 'npm', ['run', 'build']));

const unitFiles = explicit.length ? explicit.filter((f) => !f.includes('integration')) : findTests('test/unit');
const integration = unitOnly ? [] : explicit.length ? explicit.filter((f) => f.includes('integration')) : findTests('test/integration');
const alone = integration.filter((f) => LAB_ALONE.includes(basename(f)));
const pair = LAB_PAIR.map((name) => integration.find((f) => basename(f) === name)).filter(Boolean);
const usesLab = (f) => /\b(ensureLab|helpers\/lab)\b/.test(readFileText(f));
const second = LAB_SECOND.map((name) => integration.find((f) => basename(f) === name)).filter(Boolean);
const ownLab = integration.filter((f) => LAB_OWN.includes(basename(f)));
const others = integration.filter((f) => !alone.includes(f) && !pair.includes(f) && !second.includes(f) && !ownLab.includes(f));
const othersWithLab = others.filter(usesLab);
const noLab = others.filter((f) => !usesLab(f));
const needLab = alone.length + pair.length + othersWithLab.length + second.length + ownLab.length > 0;

function readFileText(f) {
  return readFileSync(f, 'utf8');
}

/** The lab tests, from `lab up` on: they do not wait for the unit tests (the lab is mostly waiting on I/O). */
async function labPipeline() {
  const labUp = await step('lab up (the base image is built when not cached)', process.execPath, [...lab, 'up', '--all-nodes']);
  record(labUp);
  if (labUp.code !== 0) {
    log('the lab did not come up: its integration tests were not run');
    record({ label: 'lab tests not run', code: 1, seconds: 0, passed: 0, failed: alone.length + pair.length + othersWithLab.length + second.length + ownLab.length });
    return;
  }
  const onSecond = { env: { XIVO_HA_LAB_INSTANCE: SECOND_LAB } };
  try {
    const [first, own, secondUp] = await Promise.all([
      sequence(alone),
      sequence(ownLab),
      second.length ? step(`lab up (instance ${SECOND_LAB})`, process.execPath, [...lab, 'up', '--all-nodes'], onSecond) : undefined,
    ]);
    record(first);
    record(own);
    if (secondUp) record(secondUp);
    const [a, b, c] = await Promise.all([
      sequence(pair),
      sequence(othersWithLab),
      secondUp?.code === 0 ? sequence(second, SECOND_LAB) : [],
    ]);
    record(a);
    record(b);
    record(c);
  } finally {
    record(await step('lab down', process.execPath, [...lab, 'down']));
    if (second.length) record(await step(`lab down (instance ${SECOND_LAB})`, process.execPath, [...lab, 'down'], onSecond));
  }
}

await Promise.all([
  explicit.length ? undefined : step('type check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']).then(record),
  unitFiles.length ? nodeTest('unit tests', unitFiles).then(record) : undefined,
  sequence(noLab).then(record),
  needLab ? labPipeline() : undefined,
]);

log('\ntime per step:');
for (const r of results) log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${r.code === 0 ? '' : 'FAILED '}${r.label}`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0) + results.filter((r) => r.code !== 0 && !('passed' in r && r.passed + r.failed > 0)).length;
log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(results.some((r) => r.code !== 0) || failed > 0 ? 1 : 0);
