// Without a playbook argument the CLI runs xivo.yml, then the deployment's
// playbook, then edge.yml when there is an Edge (docs/deployments.md); every
// one of them must load against the example inventories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { loadInputs } from '../../../src/cli/load-inputs.js';

const root = join(import.meta.dirname, '..', '..', '..');
process.env['XIVO_HA_TURN_SECRET'] ??= 'example-turn-secret';

for (const [name, expected] of [
  ['xivo', ['xivo.yml']],
  ['cc', ['xivo.yml', 'cc.yml']],
  ['cc-edge', ['xivo.yml', 'cc.yml', 'edge.yml']],
  ['xds', ['xivo.yml', 'xds.yml']],
] as const) {
  test(`the ${name}.yml inventory runs ${expected.join(', ')} by default, and they load`, () => {
    const inputs = loadInputs(join(root, 'inventories', `${name}.yml`), [], {});
    assert.deepEqual(inputs.playbooks.map((p) => basename(p.path)), expected);
  });
}
