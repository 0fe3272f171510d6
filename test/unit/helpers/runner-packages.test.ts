import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_PACKAGES } from '../../../src/lab/base.js';
import { RUNNER_PACKAGES } from '../../runner-packages.mjs';

test("npm test installs the lab's host packages in its own apt-get run, so the base image build never waits for a second one", () => {
  assert.deepEqual(HOST_PACKAGES.filter((p) => !RUNNER_PACKAGES.includes(p)), []);
});

test('npm test installs ansible-mitogen: without it the compatibility test runs Ansible linear, three times the CPU', () => {
  assert.ok(RUNNER_PACKAGES.includes('ansible-mitogen'));
});
