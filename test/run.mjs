#!/usr/bin/env node
// `npm test`: installs the Debian packages the suite needs, then runs, as
// parallel as the lab allows:
//
//   0. at once: apt-get of the Debian packages (runner-packages.mjs) and the
//      build of dist/ when src/ is newer;
//   1. at once: the type check, the unit tests, the integration tests that
//      need no lab, and the lab's pipeline (steps 2-3, which do not wait for
//      the others): `lab build` (the base image, built when it is not
//      cached: the slow part on a fresh machine);
//   2. at once, once the base image exists, the chains of LAB_CHAINS: the
//      files of a chain run one after the other on their lab instance
//      (brought up first, all instances at the same time, unless its files
//      bring up their own lab). The pair's files share one
//      provisioning (test/helpers/lab.ts provisionedPair). The lab files are
//      spread so that no chain is much longer than the others: on 2 cores
//      the suite is CPU-bound, and a long last chain leaves a core idle;
//   3. the nodes' logs and secrets collected for the secret scan, then
//      `lab down` of every instance.
//
// Each step's output is printed when it ends, with its time; the run ends
// with the whole suite's secret canary scan and one line "tests: N passed,
// N failed".
//
//   npm test                 everything
//   npm test -- --unit       unit tests only (no root, no lab)
//   npm test -- FILE…        only these test files

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanForSecrets } from './secret-scan.mjs';
import { newestMtime } from './newest-mtime.mjs';
import { RUNNER_PACKAGES } from './runner-packages.mjs';
import { labCpuSeconds, removeStepCgroups, stepCgroup } from './step-cpu.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
process.chdir(root);

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

// The lab's integration tests: chains of files, each chain on a lab
// instance; chains run at the same time. `ownLab`: the files bring their lab
// up and down themselves; `pairOnly`: the instance is brought up with the
// master and the slave only (an idle node still costs CPU for the whole run).
// Any other file that uses the lab runs on instance 0 after the chain of the
// other nodes (cc, mds, edge).
const LAB_CHAINS = [
  { instance: '0', files: ['provision.test.ts', 'replication.test.ts', 'reconfigure.test.ts'] },
  { instance: '0', files: ['concurrency.test.ts', 'faults.test.ts', 'security.test.ts'] },
  { instance: '1', files: ['maintenance.test.ts'], pairOnly: true },
  { instance: '2', files: ['failover.test.ts'], pairOnly: true },
  { instance: '3', files: ['check.test.ts', 'deployments.test.ts'] },
  { instance: '7', files: ['lab.test.ts'], ownLab: true },
  { instance: '8', files: ['demo.test.ts'], ownLab: true },
];

const log = (line) => process.stdout.write(`${line}\n`);

/** Installs the missing RUNNER_PACKAGES (apt-get's output is shown as it comes); false when apt-get failed. */
async function ensureDebianPackages() {
  if (process.getuid?.() !== 0) return true;
  const installed = (p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed');
  const missing = RUNNER_PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return true;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
    const code = await new Promise((resolve) => spawn('apt-get', argv, { stdio: ['ignore', 'inherit', 'inherit'], env }).on('close', resolve));
    if (code !== 0) return false;
  }
  return true;
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts') || name.endsWith('.test.mjs')) out.push(p);
  }
  return out;
}

/**
 * The tests that stand in for a node on this machine (the local agent, the
 * node programs' python tests) run `python3` from PATH. A node runs Debian's
 * /usr/bin/python3; a machine whose PATH puts a version manager's shim first
 * (pyenv: a shell script, 0.4 CPU-seconds per start here) would make every
 * such start cost twenty times a node's. So the steps find python3 in a
 * directory of ours holding only a link to the system interpreter.
 */
function systemPythonFirst() {
  if (!existsSync('/usr/bin/python3')) return {};
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-test-python-'));
  symlinkSync('/usr/bin/python3', join(dir, 'python3'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
}
/**
 * The CLI keeps V8's compiled code in the user's cache directory
 * (src/cli/compile-cache.ts): the suite's runs keep theirs in a directory of
 * its own, removed at the end, and share it, as an operator's runs do.
 */
function suiteCompileCache() {
  const dir = mkdtempSync(join(tmpdir(), 'xivo-ha-test-compile-cache-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { XIVO_HA_COMPILE_CACHE: join(dir, 'cache') };
}
const stepEnv = { FORCE_COLOR: '0', ...systemPythonFirst(), ...suiteCompileCache() };

/** Runs a command with its output buffered, printed as one block when it ends. */
function step(label, cmd, argv, { countTests = false, env = {} } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const cgroup = stepCgroup();
    const child = spawn(...cgroup.wrap(cmd, argv), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...stepEnv, ...env } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', (code) => {
      const seconds = (Date.now() - t0) / 1000;
      const cpu = cgroup.finish();
      log(`\n===== ${label} (${seconds.toFixed(1)} s${cpu === undefined ? '' : `, CPU ${cpu.toFixed(1)} s`}, exit ${code}) =====`);
      process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      const num = (name) => Number((text.match(new RegExp(`ℹ ${name} (\\d+)`)) ?? [])[1] ?? 0);
      const failed = countTests ? num('fail') + (code !== 0 && num('fail') === 0 ? 1 : 0) : 0;
      resolve({ label, code: code ?? 1, seconds, cpu, passed: countTests ? num('pass') : 0, failed, text });
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

/** CPU seconds the whole machine has spent (user, nice, system, irq, softirq; /proc/stat counts in USER_HZ, 100 on Linux). */
function machineCpuSeconds() {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / 100;
}
const suiteStart = Date.now();
const machineCpuAtStart = machineCpuSeconds();

const results = [];
const record = (r) => results.push(...[r].flat());
const lab = ['dist/bundle/xivo-ha.cjs', 'lab'];

// The build (CPU) and apt-get (network, dpkg) overlap: on a fresh machine both are on the critical path.
const [packagesReady] = await Promise.all([
  ensureDebianPackages(),
  newestMtime('src') > newestMtime('dist') ? step('build', 'npm', ['run', 'build']).then(record) : undefined,
]);
if (!packagesReady) {
  log('apt-get failed: the Debian packages the tests need are not installed');
  process.exit(1);
}

// The benchmark's own tests (its schedule, its budget, its reports) run with the unit tests.
const unitFiles = explicit.length ? explicit.filter((f) => !f.includes('integration')) : [...findTests('test/unit'), ...findTests('bench/test')];
const integration = unitOnly ? [] : explicit.length ? explicit.filter((f) => f.includes('integration')) : findTests('test/integration');
const usesLab = (f) => /\b(ensureLab|helpers\/lab)\b/.test(readFileText(f));
const chained = new Set(LAB_CHAINS.flatMap((c) => c.files));
const others = integration.filter((f) => !chained.has(basename(f)));
const noLab = others.filter((f) => !usesLab(f));
const chains = LAB_CHAINS.map((c) => ({ ...c, files: c.files.map((name) => integration.find((f) => basename(f) === name)).filter(Boolean) }));
chains[1].files.push(...others.filter(usesLab));
const activeChains = chains.filter((c) => c.files.length > 0);
const needLab = activeChains.length > 0;
const labFileCount = activeChains.reduce((n, c) => n + c.files.length, 0);

function readFileText(f) {
  return readFileSync(f, 'utf8');
}

/** The lab tests, from the base image on: they do not wait for the unit tests (the lab is mostly waiting on I/O). */
async function labPipeline() {
  // The base image first (minutes on a fresh machine, a second when cached), then every instance at once.
  const build = await step('lab base image (built when not cached)', process.execPath, [...lab, 'build']);
  record(build);
  if (build.code !== 0) {
    log('the lab base image could not be built: the lab integration tests were not run');
    record({ label: 'lab tests not run', code: 1, seconds: 0, passed: 0, failed: labFileCount });
    return;
  }
  const onInstance = (instance) => ({ env: { XIVO_HA_LAB_INSTANCE: instance } });
  const instances = [...new Set(activeChains.map((c) => c.instance))];
  const ups = new Map();
  /** Brings an instance up once, for all its chains; false when it did not come up. */
  const upOnce = (instance) => {
    if (!ups.has(instance)) {
      const pairOnly = activeChains.filter((c) => c.instance === instance).every((c) => c.pairOnly);
      const argv = [...lab, 'up', ...(pairOnly ? [] : ['--all-nodes'])];
      ups.set(instance, step(`lab up (instance ${instance}${pairOnly ? ', master and slave' : ''})`, process.execPath, argv, onInstance(instance)).then((r) => (record(r), r.code === 0)));
    }
    return ups.get(instance);
  };
  const runChain = async (chain) => {
    if (!chain.ownLab && !(await upOnce(chain.instance))) {
      record({ label: `lab instance ${chain.instance} did not come up: ${chain.files.length} file(s) not run`, code: 1, seconds: 0, passed: 0, failed: chain.files.length });
      return;
    }
    record(await sequence(chain.files, chain.instance));
  };
  try {
    await Promise.all(activeChains.map(runChain));
  } finally {
    const collect = ['--import', 'tsx', 'test/collect-lab-records.ts'];
    for (const instance of instances) {
      // Files that bring their own lab up take it down; one that failed half-way may leave it up.
      if (!activeChains.some((c) => c.instance === instance && c.ownLab)) {
        record(await step(`collect the logs and secrets of lab instance ${instance} for the secret scan`, process.execPath, collect, onInstance(instance)));
      }
      const inNodes = labCpuSeconds(instance);
      if (inNodes !== undefined) record({ label: `inside the nodes of lab instance ${instance} (all its files)`, code: 0, seconds: 0, cpu: inNodes, passed: 0, failed: 0 });
      record(await step(`lab down (instance ${instance})`, process.execPath, [...lab, 'down'], onInstance(instance)));
    }
  }
}

// Every xivo-ha output and every secret of the run are recorded here for the
// secret scan at the end (test/helpers/suite-record.ts, test/secret-scan.mjs).
const recordDir = mkdtempSync(join(tmpdir(), 'xivo-ha-suite-record-'));
process.env.XIVO_HA_TEST_RECORD_DIR = recordDir;

await Promise.all([
  explicit.length ? undefined : step('type check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']).then(record),
  unitFiles.length ? nodeTest('unit tests', unitFiles).then(record) : undefined,
  sequence(noLab).then(record),
  needLab ? labPipeline() : undefined,
]);

/** The secret canary scan of the whole run: every registered secret, searched in every output. */
function secretScan() {
  const t0 = Date.now();
  const scan = scanForSecrets(recordDir, Object.fromEntries(results.map((r) => [`output of ${r.label}`, r.text ?? ''])));
  rmSync(recordDir, { recursive: true, force: true });
  const label = 'secret canary scan of the whole suite';
  const lines = [`searched ${scan.sources} outputs and logs (${(scan.bytes / 1e6).toFixed(1)} MB) for ${scan.secrets} registered secrets`];
  let ok = scan.findings.length === 0;
  if (needLab && scan.secrets === 0) {
    ok = false;
    lines.push('no secret was registered while the lab tests ran: the scan would prove nothing');
  }
  for (const f of scan.findings) lines.push(`LEAK of ${f.origin} in ${f.where}: ${f.line}`);
  log(`\n===== ${label} (${ok ? 'no secret found' : 'FAILED'}) =====\n${lines.join('\n')}`);
  return { label, code: ok ? 0 : 1, seconds: (Date.now() - t0) / 1000, passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
}
if (!unitOnly) record(secretScan());
else rmSync(recordDir, { recursive: true, force: true });

removeStepCgroups();
const cpuColumn = (r) => (r.cpu === undefined ? '' : `${r.cpu.toFixed(1).padStart(7)} s CPU`);
log('\ntime per step (wall, and CPU where measured: the suite is CPU-bound, test/step-cpu.mjs):');
for (const r of results) log(`  ${r.seconds.toFixed(1).padStart(7)} s ${cpuColumn(r).padEnd(14)} ${r.code === 0 ? '' : 'FAILED '}${r.label}`);
const machine = machineCpuSeconds() - machineCpuAtStart;
const measured = results.reduce((n, r) => n + (r.cpu ?? 0), 0);
log(`  whole machine: ${machine.toFixed(0)} s CPU over ${((Date.now() - suiteStart) / 1000).toFixed(0)} s; measured above: ${measured.toFixed(0)} s (the rest: the labs that files bring up themselves, the runner, the kernel, anything else on the machine)`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0) + results.filter((r) => r.code !== 0 && !('passed' in r && r.passed + r.failed > 0)).length;
log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(results.some((r) => r.code !== 0) || failed > 0 ? 1 : 0);
