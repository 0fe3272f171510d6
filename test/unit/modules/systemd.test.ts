import { systemd } from '../../../src/modules/systemd.js';
import { service } from '../../../src/modules/service.js';
import { table } from './table.js';

const units = {
  'stopped.service': { active: 'inactive', enabled: 'disabled' },
  'running.service': { active: 'active', enabled: 'enabled' },
  'static.service': { active: 'inactive', enabled: 'static' },
  'masked.service': { active: 'inactive', enabled: 'masked' },
};

table(systemd, [
  { name: 'starts and enables a stopped unit', args: { name: 'stopped.service', state: 'started', enabled: true }, host: { units }, changes: [{ action: 'update', summary: /enable stopped.service/ }, { action: 'update', summary: /start stopped.service/ }] },
  { name: 'is in sync for a running enabled unit', args: { name: 'running.service', state: 'started', enabled: 'yes' }, host: { units }, note: /in sync: running.service is enabled \(enabled\), running/ },
  { name: 'stops and disables', args: { name: 'running.service', state: 'stopped', enabled: false }, host: { units }, changes: [{ action: 'update', summary: /disable/ }, { action: 'update', summary: /stop/ }] },
  { name: 'always restarts a running unit', args: { name: 'running.service', state: 'restarted' }, host: { units }, changes: [{ action: 'restart', summary: /restart running.service/, alwaysRuns: true }] },
  { name: 'starts a stopped unit asked to restart', args: { name: 'stopped.service', state: 'restarted' }, host: { units }, changes: [{ action: 'update', summary: /start/ }] },
  { name: 'counts a static unit as enabled', args: { name: 'static.service', enabled: true }, host: { units }, note: /enabled \(static\)/ },
  { name: 'unmasks a masked unit', args: { name: 'masked.service', masked: false }, host: { units }, changes: [{ action: 'update', summary: /unmask/ }] },
  { name: 'fails for a unit systemd does not know', args: { name: 'nope.service', state: 'started' }, host: { units }, failed: /Could not find the requested service nope.service/ },
  { name: 'runs daemon-reload first, in the first change', args: { name: 'stopped.service', state: 'started', daemon_reload: true }, host: { units }, changes: [{ action: 'update', steps: ['exec', 'exec'] }] },
  { name: 'runs a lone daemon_reload every time', args: { daemon_reload: true }, changes: [{ action: 'run', summary: /daemon-reload/, alwaysRuns: true }] },
  { name: 'does not run daemon-reload when nothing else changes (Ansible reports no change)', args: { name: 'running.service', state: 'started', daemon_reload: true }, host: { units }, note: /daemon-reload not run/ },
]);

table(service, [
  { name: 'starts a stopped service', args: { name: 'stopped.service', state: 'started' }, host: { units }, changes: [{ action: 'update', summary: /start stopped.service/ }] },
  { name: 'is in sync for an enabled service', args: { name: 'running.service', enabled: true }, host: { units }, note: /in sync/ },
]);
