import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FactsModel, mergeProbes } from '../../../src/facts/model.js';
import type { Change } from '../../../src/core/types.js';
import { answerProbes, fakeFacts } from '../../helpers/fake-facts.js';

const change = (steps: Change['steps'], assume?: Change['assume']): Change => ({ action: 'update', target: 't', summary: 's', steps, ...(assume ? { assume } : {}) });

test('throws an internal error naming the probe nobody listed', () => {
  const model = new FactsModel(new Map());
  assert.throws(() => model.file('/etc/motd'), /internal error: no fact for file:\/etc\/motd/);
  assert.throws(() => model.unit('x.service'), /no fact for unit:x.service/);
});

test('a put makes a regular file with its content, 0644 root:root when new', () => {
  const model = fakeFacts({ dirs: ['/etc'] }, [{ kind: 'file', path: '/etc/f' }]);
  model.applyChange(change([{ kind: 'put', path: '/etc/f', content: Buffer.from('x') }]));
  const f = model.file('/etc/f');
  assert.ok(f.exists && f.type === 'file');
  assert.equal(f.mode, 0o644);
  assert.equal(f.owner, 'root');
  assert.equal(f.content?.toString(), 'x');
  assert.equal(f.size, 1);
});

test('a put keeps the owner and mode it does not set', () => {
  const model = fakeFacts({ files: { '/f': { content: 'a', mode: 0o600, owner: 'xivo', group: 'xivo' } } }, [{ kind: 'file', path: '/f', content: true }]);
  model.applyChange(change([{ kind: 'put', path: '/f', content: Buffer.from('b'), group: 'adm' }]));
  const f = model.file('/f');
  assert.ok(f.exists);
  assert.deepEqual([f.mode, f.owner, f.group], [0o600, 'xivo', 'adm']);
});

test('mkdir creates known-missing parents with the same attributes; children of new directories are known absent', () => {
  const model = fakeFacts({ dirs: ['/srv'] }, [
    { kind: 'file', path: '/srv' },
    { kind: 'file', path: '/srv/a' },
    { kind: 'file', path: '/srv/a/b' },
  ]);
  model.applyChange(change([{ kind: 'mkdir', path: '/srv/a/b', mode: 0o700, owner: 'xivo' }]));
  for (const p of ['/srv/a', '/srv/a/b']) {
    const f = model.file(p);
    assert.ok(f.exists && f.type === 'directory');
    assert.equal(f.mode, 0o700);
    assert.equal(f.owner, 'xivo');
  }
  assert.equal(model.has({ kind: 'file', path: '/srv/a/b/c' }), true);
  assert.equal(model.file('/srv/a/b/c').exists, false);
});

test('a recursive remove makes everything known below it absent', () => {
  const model = fakeFacts({ files: { '/srv/a/f': 'x' } }, [{ kind: 'file', path: '/srv/a' }, { kind: 'file', path: '/srv/a/f' }]);
  model.applyChange(change([{ kind: 'remove', path: '/srv/a', recursive: true }]));
  assert.equal(model.file('/srv/a').exists, false);
  assert.equal(model.file('/srv/a/f').exists, false);
  assert.equal(model.file('/srv/a/never/probed').exists, false);
});

test('a symlink, attrs and touch update the model', () => {
  const model = fakeFacts({ files: { '/t': 'x' }, dirs: ['/d'] }, [{ kind: 'file', path: '/l' }, { kind: 'file', path: '/t' }, { kind: 'file', path: '/d/new' }]);
  model.applyChange(change([{ kind: 'symlink', path: '/l', target: '/t' }]));
  model.applyChange(change([{ kind: 'attrs', path: '/l', mode: 0o600, follow: true }]));
  model.applyChange(change([{ kind: 'touch', path: '/d/new' }]));
  const l = model.file('/l');
  assert.ok(l.exists && l.type === 'link' && l.target === '/t');
  const t = model.file('/t');
  assert.ok(t.exists && t.mode === 0o600, 'attrs with follow reach the link target');
  const n = model.file('/d/new');
  assert.ok(n.exists && n.type === 'file' && n.size === 0);
});

test('an assumption sets a value or makes it known only after apply', () => {
  const model = new FactsModel(answerProbes({ units: { 'a.service': { active: 'inactive' } } }, [{ kind: 'unit', unit: 'a.service' }]));
  model.applyChange(change([{ kind: 'exec', argv: ['systemctl', 'start', 'a.service'] }], [{ probe: { kind: 'unit', unit: 'a.service' }, value: { exists: true, active: 'active', enabled: 'enabled' } }]));
  assert.equal(model.unit('a.service').active, 'active');
  model.applyChange(change([{ kind: 'exec', argv: ['keygen'] }], [{ probe: { kind: 'file', path: '/k' }, unknown: true }]));
  assert.equal(model.isUnknown({ kind: 'file', path: '/k' }), true);
  assert.equal(model.has({ kind: 'file', path: '/k' }), true);
  model.addFacts(answerProbes({ files: { '/k': 'key' } }, [{ kind: 'file', path: '/k' }]));
  assert.equal(model.isUnknown({ kind: 'file', path: '/k' }), false);
  assert.equal(model.file('/k').exists, true);
});

test('asks the host again for content a planned file entry lacks, without undoing the plan', () => {
  const model = fakeFacts({ files: { '/f': 'body' } }, [{ kind: 'file', path: '/f' }]);
  model.applyChange(change([{ kind: 'attrs', path: '/f', mode: 0o600 }]));
  assert.equal(model.has({ kind: 'file', path: '/f', content: true }), false);
  model.addFacts(answerProbes({ files: { '/f': 'body' } }, [{ kind: 'file', path: '/f', content: true }]));
  const f = model.file('/f');
  assert.ok(f.exists);
  assert.equal(f.mode, 0o600);
  assert.equal(f.content?.toString(), 'body');
});

test('a clone plans independently', () => {
  const model = fakeFacts({ dirs: ['/d'] }, [{ kind: 'file', path: '/d/f' }]);
  const copy = model.clone();
  copy.applyChange(change([{ kind: 'put', path: '/d/f', content: Buffer.from('x') }]));
  assert.equal(copy.file('/d/f').exists, true);
  assert.equal(model.file('/d/f').exists, false);
});

test('mergeProbes dedupes by key and asks for content when any asker does', () => {
  const merged = mergeProbes([
    { kind: 'file', path: '/a' },
    { kind: 'unit', unit: 'x' },
    { kind: 'file', path: '/a', content: true },
    { kind: 'unit', unit: 'x' },
  ]);
  assert.deepEqual(merged, [{ kind: 'file', path: '/a', content: true }, { kind: 'unit', unit: 'x' }]);
});

test('a new unit file makes its unit known only after apply', () => {
  const model = fakeFacts({ dirs: ['/etc/systemd/system'] }, [{ kind: 'file', path: '/etc/systemd/system/xivo-ha-sync.timer' }, { kind: 'unit', unit: 'xivo-ha-sync.timer' }]);
  model.applyChange(change([{ kind: 'put', path: '/etc/systemd/system/xivo-ha-sync.timer', content: Buffer.from('[Timer]\n') }]));
  assert.equal(model.isUnknown({ kind: 'unit', unit: 'xivo-ha-sync.timer' }), true);
});
