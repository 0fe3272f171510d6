// Every case here was rendered by ansible-core 2.14 itself (record-ansible.py
// writes ansible-2.14-cases.json): our output must be the same value.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { evaluateCondition, renderTemplateFile, TemplateError, templateValue } from '../../../src/template/index.js';

interface Case {
  kind: 'inline' | 'file' | 'cond';
  template: string;
  vars?: Record<string, unknown>;
  ansible?: unknown;
  ansibleError?: string;
}

const recorded = JSON.parse(readFileSync(new URL('./ansible-2.14-cases.json', import.meta.url), 'utf8')) as {
  recordedWith: string;
  baseVars: Record<string, unknown>;
  cases: Case[];
};

function run(c: Case): unknown {
  const vars = { ...recorded.baseVars, ...(c.vars ?? {}) };
  if (c.kind === 'inline') return templateValue(c.template, vars);
  if (c.kind === 'file') return renderTemplateFile(c.template, vars);
  return evaluateCondition(c.template, vars);
}

describe(`renders as ${recorded.recordedWith} does`, () => {
  for (const c of recorded.cases) {
    const label = `${c.kind} ${JSON.stringify(c.template)}`;
    if (c.ansibleError !== undefined) {
      it(`${label} fails like Ansible (${c.ansibleError.slice(0, 60)})`, () => {
        assert.throws(() => run(c), TemplateError);
      });
    } else {
      it(`${label} gives ${JSON.stringify(c.ansible)}`, () => {
        assert.deepEqual(run(c), c.ansible);
      });
    }
  }
});
