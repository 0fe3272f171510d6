// Which tool runs which case how often at each host count, and the time
// budget over it. The issue asks for 3 runs at N = 2 and 10 and 1 at N = 50,
// Mitogen at N <= 10, xivo-ha alone at 200 hosts, and the whole default bench
// under 20 minutes. Fixed: above 10 hosts only xivo-ha runs unless --full
// (one Ansible case at 50 hosts takes minutes). Measured: plain Ansible's
// cost varies from ~1.3 s per host per case (the workload's reference) to
// ~20 s (this project's VM), so the budget sizes the runs from the figures
// of the bench itself (budgetDrops; docs/bench.md, "Schedule and budget").

export const CASES = ['a', 'b', 'c'];
export const CASE_LABELS = { a: '(a) first apply', b: '(b) no-op apply', c: '(c) dry run + diff' };
export const ALL_TOOLS = ['ansible', 'mitogen', 'xivo-ha'];
export const TOOL_LABELS = { ansible: 'Ansible', mitogen: 'Ansible+Mitogen', 'xivo-ha': 'xivo-ha' };

export function runsFor(n, requestedRuns) {
  return n <= 10 ? requestedRuns : 1;
}

/** Tools that run case caseId at n hosts, with the reason for each one left out (caseId: the same for every case today). */
export function toolsFor(n, caseId, requested, { full }) {
  const tools = [];
  const skipped = [];
  for (const tool of requested) {
    let why;
    if (n > 50 && tool !== 'xivo-ha') why = `only xivo-ha runs at ${n} hosts (growth and memory)`;
    else if (!full && tool !== 'xivo-ha' && n > 10) why = `Ansible is measured at N <= 10 by default: ~5.5 min a case at 50 hosts would break the 20-minute budget (--full)`;
    if (why) skipped.push({ tool, why });
    else tools.push(tool);
  }
  return { tools, skipped };
}

/** Run r (1-based) starts with a different tool each time, so no tool always runs first or last. */
export function rotate(tools, r) {
  if (tools.length === 0) return [];
  const k = (r - 1) % tools.length;
  return [...tools.slice(k), ...tools.slice(0, k)];
}

/**
 * Every timed run of the bench, in the order they run: host count by host
 * count, case by case, run by run, the tools rotating. Each: {n, hosts, case,
 * tool, run}; hosts is the number of hosts (n itself for the loopback
 * counts). skipped: the tools left out, with why, per host count and case.
 */
export function planRuns(targets, cases, tools, { runs, full }) {
  const planned = [];
  const skipped = [];
  for (const { n, hosts } of targets) {
    for (const caseId of cases) {
      const chosen = toolsFor(hosts, caseId, tools, { full });
      for (const s of chosen.skipped) skipped.push({ n, case: caseId, ...s });
      for (let r = 1; r <= runsFor(hosts, runs); r++) {
        for (const tool of rotate(chosen.tools, r)) planned.push({ n, hosts, case: caseId, tool, run: r });
      }
    }
  }
  return { planned, skipped };
}

/**
 * Seconds one run of tool costs at host count n, from samples
 * [{n, hosts, tool, seconds}] (timed runs and untimed converge applies
 * alike): their mean at n; else the mean at the measured count with the
 * nearest number of hosts, scaled by the number of hosts (Ansible's cost
 * grows about linearly with them; xivo-ha's less, so this overstates it);
 * undefined when the tool was never measured.
 */
export function estimateRun(samples, tool, n, hosts) {
  const mine = samples.filter((s) => s.tool === tool);
  const at = (key) => mine.filter((s) => s.n === key);
  const mean = (list) => list.reduce((sum, s) => sum + s.seconds, 0) / list.length;
  if (at(n).length) return mean(at(n));
  if (mine.length === 0) return undefined;
  const nearest = [...new Set(mine.map((s) => s.n))]
    .map((key) => ({ key, hosts: at(key)[0].hosts }))
    .sort((a, b) => Math.abs(Math.log(a.hosts / hosts)) - Math.abs(Math.log(b.hosts / hosts)))[0];
  return (mean(at(nearest.key)) * hosts) / nearest.hosts;
}

/**
 * Which pending runs need an untimed converge apply first, as run.mjs
 * prepares them: a (b) after a (c) (which drifted the hosts), and a (b) or
 * (c) with no apply before it at its host count (a (c) after a (c) only
 * drifts again: the drift is idempotent). state: the hosts'
 * state before pending[0] ('converged', 'drifted' or 'unknown'); each later
 * host count starts 'unknown'. Assumes every run succeeds.
 */
export function convergesNeeded(pending, state) {
  let n = pending[0]?.n;
  return pending.map((p) => {
    if (p.n !== n) {
      n = p.n;
      state = 'unknown';
    }
    let converge = false;
    if (p.case === 'a') state = 'converged';
    else {
      converge = state === 'unknown' || (p.case === 'b' && state === 'drifted');
      state = p.case === 'c' ? 'drifted' : 'converged';
    }
    return converge;
  });
}

/** Projected seconds of the pending runs (each with its converge apply); runs of a tool never measured count 0. */
export function projectSeconds(pending, samples, state) {
  const converges = convergesNeeded(pending, state);
  return pending.reduce((sum, p, i) => sum + (estimateRun(samples, p.tool, p.n, p.hosts) ?? 0) * (converges[i] ? 2 : 1), 0);
}

/** A run saving less than this share of the budget is never dropped: xivo-ha's runs (about a second) would buy nothing. */
export const MIN_DROP_SHARE = 0.01;

/**
 * The time budget, applied before each run. When the time spent plus the
 * projected cost of the pending runs exceeds the budget, runs of the host
 * count about to run (pending[0].n) are dropped, those of its costliest
 * tool first, last runs first, until the projection fits or every case of
 * every tool is down to one run: a case is never left without a run.
 * Later host counts are decided when they come, from their own figures.
 * Pure: returns {dropped: [{run, estimate}], projected (before), after}.
 */
export function budgetDrops({ pending, samples, state, elapsedSeconds, budgetSeconds }) {
  const projected = projectSeconds(pending, samples, state);
  const none = { dropped: [], projected, after: projected };
  if (budgetSeconds === undefined || pending.length === 0 || elapsedSeconds + projected <= budgetSeconds) return none;
  const n = pending[0].n;
  const estimate = (p) => estimateRun(samples, p.tool, p.n, p.hosts);
  const candidates = pending
    .filter((p) => p.n === n && p.run > 1 && (estimate(p) ?? 0) >= MIN_DROP_SHARE * budgetSeconds)
    .sort((x, y) => estimate(y) - estimate(x) || y.run - x.run || CASES.indexOf(y.case) - CASES.indexOf(x.case));
  let rest = pending;
  let after = projected;
  const dropped = [];
  for (const run of candidates) {
    if (elapsedSeconds + after <= budgetSeconds) break;
    rest = rest.filter((p) => p !== run);
    after = projectSeconds(rest, samples, state);
    dropped.push({ run, estimate: estimate(run) });
  }
  return { dropped, projected, after };
}

const minutes = (seconds) => `${(seconds / 60).toFixed(1)} min`;

/** Case (a) runs 2–3, or run 2: the run numbers of one case as a range where they follow each other. */
function runRange(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b);
  const contiguous = sorted.every((x, i) => i === 0 || x === sorted[i - 1] + 1);
  if (sorted.length === 1) return `run ${sorted[0]}`;
  return contiguous ? `runs ${sorted[0]}–${sorted.at(-1)}` : `runs ${sorted.join(', ')}`;
}

/**
 * What budgetDrops dropped, for the report's "Not measured": one entry per
 * host count and tool, {what, why}, with the estimate it was dropped on.
 */
export function describeDrops(dropped, { elapsedSeconds, projected, after, budgetSeconds, samples }) {
  const groups = new Map();
  for (const d of dropped) {
    const key = `${d.run.n}\0${d.run.tool}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(d);
  }
  return [...groups.values()].map((group) => {
    const { n, tool } = group[0].run;
    const byCase = CASES.filter((c) => group.some((d) => d.run.case === c)).map((c) => `${c}: ${runRange(group.filter((d) => d.run.case === c).map((d) => d.run.run))}`);
    const measured = samples.filter((s) => s.tool === tool && s.n === n).length;
    const basis = measured ? `the mean of ${measured} run${measured > 1 ? 's' : ''} there` : 'scaled by host count from another count';
    return {
      what: `N=${n} ${TOOL_LABELS[tool]}, ${group.length} timed run${group.length > 1 ? 's' : ''} (${byCase.join('; ')})`,
      why: `dropped by the ${minutes(budgetSeconds)} time budget: after ${minutes(elapsedSeconds)}, the runs left were projected at ${minutes(projected)} (${TOOL_LABELS[tool]} at N=${n} ≈ ${group[0].estimate.toFixed(1)} s a run, ${basis}); ${minutes(after)} without these`,
    };
  });
}
