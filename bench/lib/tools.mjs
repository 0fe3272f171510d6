// The tools under test and how each runs a case. Every tool gets the same
// inventory and the same, unchanged playbook.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILE_CACHE_DIR, REPO_DIR, ROOT } from './paths.mjs';
import { readCmdline } from './measure.mjs';
import { commandExists, runSync } from './proc.mjs';
import { TOOL_LABELS } from './schedule.mjs';
import { PLAYBOOK } from './workload.mjs';
import { verifyAnsibleLog, verifyXivoHaLog } from './verify.mjs';


function ansibleTool(id, cfgKey) {
  return {
    id,
    label: TOOL_LABELS[id],
    /** Returns {argv, env, cleanup} for one timed run; baseEnv: bench/lib/environment.mjs. */
    command(caseId, configs, runDir, baseEnv) {
      // A fresh control path directory per run: no run reuses another's ssh masters.
      const controlDir = join(runDir, 'cp');
      mkdirSync(controlDir, { recursive: true });
      const argv = ['ansible-playbook', '-i', configs.inventory, PLAYBOOK];
      if (caseId === 'c') argv.push('--check', '--diff');
      const env = {
        ...baseEnv,
        ANSIBLE_CONFIG: configs[cfgKey],
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
      };
      // ssh names its ControlPersist master after the socket: "ssh: <controlDir>/<hash> [mux]".
      const adopt = (pid) => readCmdline(pid).startsWith(`ssh: ${controlDir}/`);
      return { argv, env, adopt, cleanup: () => rmSync(controlDir, { recursive: true, force: true }) };
    },
    verify(logFile, hosts, caseId) {
      return verifyAnsibleLog(logFile, hosts.length, caseId);
    },
  };
}

/** The CLI entry operators run: package.json's bin (the bundled dist/bundle/xivo-ha.cjs). */
export function xivoHaEntry() {
  const { bin } = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8'));
  const p = join(REPO_DIR, typeof bin === 'string' ? bin : bin['xivo-ha']);
  return existsSync(p) ? p : undefined;
}

export function buildXivoHa() {
  try {
    runSync(['npm', 'run', '--silent', 'build'], { cwd: REPO_DIR });
  } catch (err) {
    // tsc emits despite type errors elsewhere; only a missing entry is fatal.
    if (!xivoHaEntry()) return `npm run build failed and there is no CLI entry: ${err.message}`;
  }
  const entry = xivoHaEntry();
  if (!entry) return "no CLI entry (package.json's bin) after npm run build";
  try {
    runSync([process.execPath, entry, '--version']);
  } catch (err) {
    const lines = err.message.split('\n');
    return `the CLI does not start (${entry} --version): ${lines.find((l) => /Error/.test(l))?.trim() ?? lines[0]}`;
  }
  return undefined;
}

const xivoHa = {
  id: 'xivo-ha',
  label: TOOL_LABELS['xivo-ha'],
  command(caseId, configs, runDir, baseEnv) {
    const entry = xivoHaEntry();
    const argv = [process.execPath, entry, caseId === 'c' ? 'plan' : 'apply', '-i', configs.inventory, PLAYBOOK, '--json'];
    // Its code cache in the bench's own directory, empty at the start: the first
    // run of each command compiles, as an operator's first run after installing.
    return { argv, env: { ...baseEnv, NO_COLOR: '1', XIVO_HA_COMPILE_CACHE: COMPILE_CACHE_DIR }, cleanup: () => {} };
  },
  verify(logFile, hosts, caseId, workload) {
    return verifyXivoHaLog(logFile, hosts.map((h) => h.hostname), caseId, workload);
  },
};

export const TOOLS = { ansible: ansibleTool('ansible', 'ansibleCfg'), mitogen: ansibleTool('mitogen', 'mitogenCfg'), 'xivo-ha': xivoHa };

/** Why a tool cannot run here, or undefined. */
export function toolUnavailable(id) {
  if (id === 'ansible' || id === 'mitogen') {
    if (!commandExists('ansible-playbook')) return 'ansible-playbook not found';
    if (id === 'mitogen' && !existsSync('/usr/lib/python3/dist-packages/ansible_mitogen')) return 'ansible-mitogen not installed';
    return undefined;
  }
  return buildXivoHa();
}

export function runDirFor(n, caseId, tool, run) {
  const dir = runDirPath(n, caseId, tool, run);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Where a run keeps its command and output: /tmp/bench/runs/n<N>/<case>-<tool>-<run>. */
export function runDirPath(n, caseId, tool, run) {
  return join(ROOT, 'runs', `n${n}`, `${caseId}-${tool}-${run}`);
}
