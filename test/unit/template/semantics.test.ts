import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsSecret, Secret } from '../../../src/core/secret.js';
import { isUnknown, Unknown } from '../../../src/core/unknown.js';
import {
  evaluateCondition,
  evaluateExpression,
  expressionSyntaxErrors,
  expressionUndefinedVariables,
  renderString,
  renderTemplateFile,
  templateSyntaxErrors,
  TemplateError,
  templateValue,
  undefinedVariables,
} from '../../../src/template/index.js';

const later = new Unknown('the output of "generate key"');

describe('values known only after apply', () => {
  const vars = { key: later, result: later, known: 'x', items: ['a', later] };

  it('returns the Unknown itself for a whole {{ expr }} that is unknown', () => {
    assert.equal(templateValue('{{ key }}', vars), later);
  });
  it('returns an Unknown, not text, for a string that interpolates an unknown', () => {
    assert.ok(isUnknown(templateValue('ssh-key {{ key }} root', vars)));
    assert.ok(isUnknown(renderString('{{ key | upper }}', vars)));
    assert.ok(isUnknown(renderTemplateFile('a\n{{ items | join(",") }}\n', vars)));
  });
  it('propagates through attribute access on a registered result', () => {
    assert.ok(isUnknown(templateValue('{{ result.stdout }}', vars)));
    assert.ok(isUnknown(evaluateCondition('result.rc == 0', vars)));
  });
  it('keeps known siblings of an unknown string known in nested arguments', () => {
    const out = templateValue({ a: '{{ known }}', b: ['{{ key }}'] }, vars) as { a: string; b: unknown[] };
    assert.equal(out.a, 'x');
    assert.ok(isUnknown(out.b[0]));
  });
  it('counts an unknown value as defined', () => {
    assert.equal(evaluateCondition('result is defined', vars), true);
    assert.equal(evaluateCondition('result is undefined', vars), false);
  });
  it('does not need the unknown when a branch that is not taken mentions it', () => {
    assert.equal(templateValue('{{ known if true else key }}', vars), 'x');
    assert.equal(evaluateCondition('false and key', vars), false);
  });
});

describe('secrets', () => {
  const pw = new Secret('s3cr3t-value', 'db_password');

  it('renders a secret as its value inside text, so callers can detect it with containsSecret', () => {
    const text = renderTemplateFile('password={{ pw }}\n', { pw });
    assert.equal(text, 'password=s3cr3t-value\n');
    assert.ok(containsSecret(text as string));
  });
  it('keeps a whole {{ secret }} a Secret, so it stays masked where it is printed', () => {
    assert.equal(templateValue('{{ pw }}', { pw }), pw);
    assert.equal(evaluateExpression('pw', { pw }), pw);
  });
  it('treats a secret as a string in filters, methods and comparisons', () => {
    assert.equal(templateValue('{{ pw | upper }}', { pw }), 'S3CR3T-VALUE');
    assert.equal(templateValue("{{ pw.split('-')[1] }}", { pw }), 'value');
    assert.equal(evaluateCondition("pw == 's3cr3t-value'", { pw }), true);
  });
});

describe('native values of a whole {{ expr }}', () => {
  it('gives the list itself for loop: "{{ mylist }}"', () => {
    const list = [{ a: 1 }, { a: 2 }];
    assert.deepEqual(templateValue('{{ mylist }}', { mylist: list }), list);
  });
  it('gives numbers and booleans as such, and text when anything surrounds the expression', () => {
    assert.equal(templateValue('{{ port + 1 }}', { port: 5060 }), 5061);
    assert.equal(templateValue('{{ port > 1 }}', { port: 5060 }), true);
    assert.equal(templateValue('port {{ port }}', { port: 5060 }), 'port 5060');
  });
  it('gives None for a bare {{ var }} holding None, and an empty string for any other expression giving None', () => {
    assert.equal(templateValue('{{ x }}', { x: null }), null);
    assert.equal(templateValue('{{ none }}', {}), '');
    assert.equal(templateValue('{{ x | default(none) }}', { x: null }), '');
  });
  it('templates the values of variables when they are used, as Ansible does', () => {
    assert.equal(templateValue('{{ url }}/api', { url: 'http://{{ host }}:{{ port }}', host: 'h', port: 80 }), 'http://h:80/api');
    assert.equal(evaluateCondition('x is defined', { x: '{{ missing }}' }), false);
    assert.throws(() => templateValue('{{ a }}', { a: '{{ b }}', b: '{{ a }}' }), /recursive loop detected/);
  });
  it('returns non-template strings and non-strings unchanged', () => {
    const args = { mode: 0o644, plain: 'no braces', flag: true, list: [1, '{{ n }}'] };
    assert.deepEqual(templateValue(args, { n: 2 }), { mode: 0o644, plain: 'no braces', flag: true, list: [1, 2] });
  });
  it('templates dict keys as Ansible does', () => {
    assert.deepEqual(templateValue({ '{{ k }}': 'v' }, { k: 'name' }), { name: 'v' });
  });
});

describe('undefined variables (StrictUndefined)', () => {
  it('throws a TemplateError naming the variable, the template and the position', () => {
    const err = catchError(() => renderTemplateFile('line\n  {{ missing_var }}\n', {}, { name: 'templates/x.j2' }));
    assert.ok(err instanceof TemplateError);
    assert.equal(err.variable, 'missing_var');
    assert.equal(err.templateName, 'templates/x.j2');
    assert.equal(err.line, 2);
    assert.equal(err.column, 3);
    assert.match(err.message, /^templates\/x\.j2:2:3: 'missing_var' is undefined$/);
  });
  it('fails on an undefined variable even in a condition, as Ansible does', () => {
    const err = catchError(() => evaluateCondition('nope == 1', {}));
    assert.ok(err instanceof TemplateError);
    assert.equal(err.variable, 'nope');
  });
  it('lets None through as a value: null prints as an empty string and is not undefined', () => {
    assert.equal(renderString('[{{ x }}]', { x: null }), '[]');
    assert.equal(evaluateCondition('x is none', { x: null }), true);
  });
});

describe('undefinedVariables / expressionUndefinedVariables', () => {
  const known = (n: string): boolean => ['inventory_hostname', 'known'].includes(n);

  it('lists unknown top-level names once, in order of use', () => {
    assert.deepEqual(undefinedVariables('{{ a.b }} {{ known }} {{ c[a] }} {{ a }}', known), ['a', 'c']);
  });
  it('skips names guarded by is defined / is undefined / is not defined or given a default', () => {
    const text = '{% if x is defined %}{{ x }}{% endif %}{{ y | default("z") }}{{ z.q | d(1) }}{% if w is not defined %}{% endif %}{{ v is undefined }}';
    assert.deepEqual(undefinedVariables(text, known), []);
  });
  it('skips names bound by set and for inside the template, and loop', () => {
    const text = '{% set s = 1 %}{% for k, v in known.items() %}{{ k }}{{ v }}{{ loop.index }}{{ s }}{% endfor %}{% set blk %}x{% endset %}{{ blk }}';
    assert.deepEqual(undefinedVariables(text, known), []);
  });
  it('skips global functions like range', () => {
    assert.deepEqual(undefinedVariables('{{ range(3) | list }}', known), []);
  });
  it('reads bare expressions too', () => {
    assert.deepEqual(expressionUndefinedVariables("result.rc == 0 and other is defined and 'x' in known", known), ['result']);
  });
  it('reads a condition written with {{ }}', () => {
    assert.deepEqual(expressionUndefinedVariables('{{ flag }}', known), ['flag']);
  });
});

describe('syntax errors, located', () => {
  it('reports an unclosed block with its line and column', () => {
    const [problem] = templateSyntaxErrors('a\n{% if x %}\nb\n');
    assert.ok(problem);
    assert.match(problem.message, /looking for the following tags: 'elif' or 'else' or 'endif'/);
    assert.equal(problem.line, 3);
  });
  it('reports unknown filters and tests at their position', () => {
    assert.deepEqual(templateSyntaxErrors('x\n{{ a | nosuch }} {{ b is weird }}'), [
      { message: "no filter named 'nosuch'", line: 2, column: 6 },
      { message: "no test named 'weird'", line: 2, column: 23 },
    ]);
  });
  it('accepts fully qualified builtin names', () => {
    assert.deepEqual(templateSyntaxErrors('{{ a | ansible.builtin.to_json }}{{ b is ansible.builtin.match("x") }}'), []);
  });
  it('reports bad expressions', () => {
    const [problem] = expressionSyntaxErrors('a ==');
    assert.ok(problem);
    assert.equal(problem.column, 5);
  });
  it('gives no problems for a plain string or a good template', () => {
    assert.deepEqual(templateSyntaxErrors('no template here {'), []);
    assert.deepEqual(templateSyntaxErrors('{% for x in y %}{{ x | upper }}{% endfor %}'), []);
  });
  it('names the template in a thrown syntax error', () => {
    const err = catchError(() => renderTemplateFile('{{ a b }}', {}, { name: 't.j2' }));
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /^t\.j2:1:6: /);
  });
});

describe('template settings', () => {
  it('drops the newline after a block tag (trim_blocks) but keeps indentation before it (no lstrip_blocks)', () => {
    assert.equal(renderTemplateFile('a\n  {% if true %}\nb\n  {% endif %}\nc\n', {}), 'a\n  b\n  c\n');
  });
  it('keeps block newlines when trimBlocks is off', () => {
    assert.equal(renderTemplateFile('{% if true %}\nb\n{% endif %}\n', {}, { trimBlocks: false }), '\nb\n');
  });
  it("keeps the template's trailing newlines, however many", () => {
    assert.equal(renderTemplateFile('x\n\n\n', {}), 'x\n\n\n');
    assert.equal(renderTemplateFile('x', {}), 'x');
  });
  it('does not double a trailing newline the last value already ends with', () => {
    assert.equal(renderTemplateFile('{{ v }}\n', { v: 'a\n' }), 'a\n');
  });
  it('strips whitespace on the side of a dash', () => {
    assert.equal(renderString('a  {{- 1 -}}  b {%- if true %} c{% endif -%}  d', {}), 'a1b cd');
  });
  it('reads backslashes in {{ }} literally in task arguments but as escapes in template files', () => {
    assert.equal(renderString("{{ 'a\\nb' }}", {}), 'a\\nb');
    assert.equal(renderTemplateFile("{{ 'a\\nb' }}", {}), 'a\nb');
  });
  it('reads }} inside brackets as part of the expression', () => {
    assert.equal(renderString("{{ {'a': {'b': 1}}}}", {}), "{'a': {'b': 1}}");
  });
});

describe('conditions', () => {
  it('follows Python truthiness for a bare variable: the string "false" is true', () => {
    assert.equal(evaluateCondition('v', { v: 'false' }), true);
    assert.equal(evaluateCondition('v | bool', { v: 'false' }), false);
  });
  it('renders {{ }} first, so "{{ v }}" with v = "false" is false (Ansible warns about this form)', () => {
    assert.equal(evaluateCondition('{{ v }}', { v: 'false' }), false);
  });
  it('takes YAML booleans as they are', () => {
    assert.equal(evaluateCondition(true, {}), true);
    assert.equal(evaluateCondition(false, {}), false);
  });
  it('registers results usable in changed_when', () => {
    assert.equal(evaluateCondition("'already' in r.stdout", { r: { stdout: 'already there', rc: 0 } }), true);
  });
});

describe('deliberate differences from Ansible', () => {
  it('refuses password_hash, whose salted output could never be in sync', () => {
    assert.throws(() => renderString("{{ 'x' | password_hash('sha512') }}", {}), /password_hash' is not supported/);
  });
  it('refuses lookups, which would read the controller during planning', () => {
    assert.throws(() => renderString("{{ lookup('file', '/etc/passwd') }}", {}), /lookup\(\) is not supported/);
  });
  it('gives numbers for constant expressions like {{ 10 / 2 }} (Ansible folds them into the text "5.0")', () => {
    assert.equal(templateValue('{{ 10 / 2 }}', {}), 5);
    assert.equal(templateValue('{{ 0.5 }}', {}), 0.5);
  });
  it('gives the number for {{ x }} when x holds "{{ n }}" (Ansible gives the text "5")', () => {
    assert.equal(templateValue('{{ x }}', { x: '{{ n }}', n: 5 }), 5);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}
