// The human form of pause/resume/upgrade: the plan as printed before a run
// (what docs/operations.md shows) and the step lines.

import test from 'node:test';
import assert from 'node:assert/strict';
import { renderMaintenancePlan, renderMaintenanceStep } from '../../../src/cli/views/maintenance-view.js';
import { palette } from '../../../src/cli/views/colors.js';
import { planResume } from '../../../src/ha/maintenance/plan.js';

const PAUSE = { by: 'alice@laptop', since: '2026-11-28T06:00:00.000Z', reason: 'disk swap' };

test('prints the resume plan as the operations guide shows it, and the note when there is nothing to do', () => {
  const plan = planResume({ master: { paused: PAUSE, timer: { active: 'inactive', enabled: 'enabled' } }, slave: { paused: PAUSE } });
  plan.steps[0]!.status = 'done';
  plan.steps[0]!.at = '2026-11-28T06:10:00.000Z';
  plan.steps[1]!.status = 'running';
  assert.equal(
    renderMaintenancePlan(plan, true),
    [
      'resume: 4 steps would run (1 done earlier)',
      '  ✓  1. check-schemas   check that master and slave have the same database schema (xivo-ha-replicate --compare-schemas) (done 2026-11-28T06:10:00.000Z)',
      '  …  2. unpause-master  resume the master (remove paused.json under the HA lock) (interrupted: runs again)',
      '  ·  3. start-timer     start xivo-ha-replicate.timer on the master',
      '  ·  4. replicate       replicate the master to the slave once (systemctl start xivo-ha-replicate.service; it joins a run the timer has just started)',
      '  ·  5. unpause-slave   resume the slave (remove paused.json under the HA lock: its monitor acts again)',
    ].join('\n'),
  );
  assert.equal(renderMaintenancePlan(planResume({ master: {}, slave: {} }), false), 'resume: not paused: nothing to resume');
});

test('prints each step as it starts, ends, fails (with what to do) or is skipped', () => {
  const c = palette(false);
  const base = { type: 'maintenance_step', procedure: 'upgrade', id: 'upgrade-slave', summary: 'upgrade the slave: xivo-upgrade -f' } as const;
  assert.equal(renderMaintenanceStep({ ...base, status: 'running' }, c), '→ upgrade the slave: xivo-upgrade -f …');
  assert.equal(renderMaintenanceStep({ ...base, status: 'done', message: '`xivo-upgrade -f` done on slave' }, c), '  ✓ `xivo-upgrade -f` done on slave');
  assert.equal(renderMaintenanceStep({ ...base, status: 'skipped', at: '2026-11-28T06:10:00.000Z' }, c), '  ✓ skip (done 2026-11-28T06:10:00.000Z): upgrade the slave: xivo-upgrade -f');
  assert.equal(renderMaintenanceStep({ ...base, status: 'failed', message: 'exited 4', detail: 'fix it, run again' }, c), '  ✗ exited 4\n    fix it, run again');
});
