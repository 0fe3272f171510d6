// Fixture tables for module tests: each row is "args + host → changes or
// note", and each row is also checked for "the second plan is empty".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change, Module, Step } from '../../../src/core/types.js';
import { fakeContext, planTwice, type ContextOptions, type FakeWorld } from '../../helpers/fake-facts.js';

export interface Row {
  /** The behaviour guarded, as the test name. */
  name: string;
  args: Record<string, unknown>;
  host?: FakeWorld;
  ctx?: ContextOptions;
  /** Expected changes: action and a pattern for the summary. */
  changes?: Array<{ action: Change['action']; summary?: RegExp; steps?: Array<Step['kind']>; alwaysRuns?: boolean }>;
  note?: RegExp;
  failed?: RegExp;
  /** Expected content of files in the planned state after the changes. */
  files?: Record<string, string | null>;
  /** Expected mode/owner/group in the planned state. */
  attrs?: Record<string, { mode?: number; owner?: string; group?: string; type?: string; target?: string }>;
  result?: Record<string, unknown>;
  /** The second plan is deferred (a command's creates/removes path is known after apply). */
  deferredSecondPlan?: boolean;
  check?: (plans: ReturnType<typeof planTwice>) => void;
}

export function table(module: Module, rows: Row[]): void {
  for (const row of rows) {
    test(`${module.name}: ${row.name}`, () => {
      const plans = planTwice(module, row.args, row.host ?? {}, fakeContext(row.ctx));
      const { first, second, model } = plans;
      if (row.failed) {
        assert.match(first.failed ?? '(did not fail)', row.failed);
        assert.equal(first.changes.length, 0);
      } else {
        assert.equal(first.failed, undefined, `unexpected failure: ${first.failed}`);
      }
      const expected = row.changes ?? [];
      assert.deepEqual(
        first.changes.map((c) => c.action),
        expected.map((c) => c.action),
        `changes: ${first.changes.map((c) => `${c.action} ${c.summary}`).join('; ') || '(none)'} — note: ${first.note}`,
      );
      expected.forEach((want, i) => {
        const got = first.changes[i]!;
        if (want.summary) assert.match(got.summary, want.summary);
        if (want.steps) assert.deepEqual(got.steps.map((s) => s.kind), want.steps);
        assert.equal(Boolean(got.alwaysRuns), Boolean(want.alwaysRuns), `alwaysRuns of "${got.summary}"`);
      });
      if (expected.length === 0 && !row.failed && !first.messages) assert.ok(first.note, 'a plan without changes says why');
      if (row.note) assert.match(first.note ?? '(no note)', row.note);
      for (const [path, content] of Object.entries(row.files ?? {})) {
        const f = model.file(path);
        if (content === null) assert.equal(f.exists, false, `${path} is absent`);
        else {
          assert.ok(f.exists && f.content, `${path} exists with content`);
          assert.equal(f.content.toString('utf8'), content);
        }
      }
      for (const [path, want] of Object.entries(row.attrs ?? {})) {
        const f = model.file(path);
        assert.ok(f.exists, `${path} exists`);
        const got = { mode: f.mode, owner: f.owner, group: f.group, type: f.type, target: f.target };
        for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof typeof got], v, `${path} ${k}`);
      }
      if (row.result) for (const [k, v] of Object.entries(row.result)) assert.deepEqual(first.result?.[k], v, `result.${k}`);
      if (row.deferredSecondPlan) assert.equal(second, 'deferred');
      else assert.notEqual(second, 'deferred', 'the second plan should not be deferred');
      row.check?.(plans);
    });
  }
}
