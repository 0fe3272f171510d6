import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadInventory } from '../../../src/load/inventory.js';
import { loadTestPlaybook, playbookProblems, Workdir, MINIMAL_INVENTORY } from './helpers.js';

const w = new Workdir();
after(() => w.remove());
const inventory = loadInventory(w.write('inv.yml', MINIMAL_INVENTORY));
const problems = (yaml: string) => playbookProblems(w, yaml, inventory);

test('turns Ansible task syntax into task specs', () => {
  w.write('templates/ha.conf.j2', 'peer={{ peer_address }} base={{ base }}\n');
  const pb = loadTestPlaybook(
    w,
    `- name: setup
  hosts: xivo
  gather_facts: no
  become_user: postgres
  tags: ha
  vars: {mode: 0644}
  tasks:
    - ansible.builtin.command: ls -l "/tmp/a  b" creates=/tmp/x
      register: listing
      changed_when: false
    - name: conf
      template: src=ha.conf.j2 dest={{ base }}/ha.conf
      when: "{{ listing.rc == 0 }}"
      notify: [reload]
    - debug: {var: listing.stdout}
      loop: [a, b]
      loop_control: {loop_var: letter}
      tags: [one, two]
    - systemd_service: {name: x, enabled: yes}
      with_items: [[a, b], c]
      when: [xivo_ha_role == 'master', true]
  handlers:
    - name: reload
      listen: reload-all
      systemd: {name: x, state: reloaded}
`,
    inventory,
  );
  const [play] = pb.plays;
  assert.equal(play!.name, 'setup');
  assert.deepEqual(play!.vars, { mode: 0o644 });
  const [cmd, conf, debug, unit] = play!.tasks;
  assert.deepEqual(cmd!.args, { creates: '/tmp/x', cmd: 'ls -l "/tmp/a  b"' });
  assert.equal(cmd!.module, 'command');
  assert.deepEqual(cmd!.changedWhen, ['false']);
  assert.equal(cmd!.becomeUser, 'postgres');
  assert.deepEqual(conf!.args, { src: 'ha.conf.j2', dest: '{{ base }}/ha.conf' });
  assert.deepEqual(conf!.when, ['listing.rc == 0']);
  assert.deepEqual(conf!.notify, ['reload']);
  assert.deepEqual(conf!.position, { file: w.dir + '/site.yml', line: 11, column: 7 });
  assert.equal(debug!.loopVar, 'letter');
  assert.deepEqual(debug!.tags, ['ha', 'one', 'two']);
  assert.equal(unit!.module, 'systemd');
  assert.deepEqual(unit!.args, { name: 'x', enabled: true });
  assert.deepEqual(unit!.loop, ['a', 'b', 'c']);
  assert.deepEqual(unit!.when, ["xivo_ha_role == 'master'", 'true']);
  assert.deepEqual(play!.handlers[0]!.listen, ['reload-all']);
});

test('suggests the closest module for an unknown one', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - ansible.builtin.cpoy: {dest: /x}\n'), [
    'site.yml:3:7 error: [0].tasks[0].ansible.builtin.cpoy: unknown module "ansible.builtin.cpoy" (did you mean "copy"?)',
  ]);
});

test('reports an unknown task keyword at the key', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - copy: {dest: /x, content: a}\n      notfy: x\n'), [
    'site.yml:4:7 error: [0].tasks[0].notfy: unknown task keyword "notfy" (did you mean "notify"?)',
  ]);
});

test('reports an unknown play keyword and an unsupported one', () => {
  assert.deepEqual(problems('- hosts: all\n  roles: [x]\n  taks: []\n'), [
    'site.yml:2:3 error: [0].roles: "roles" is not supported by xivo-ha',
    'site.yml:3:3 error: [0].taks: unknown key "taks" (did you mean "tasks"?)',
  ]);
});

test('reports block and include_tasks as not supported', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - block: []\n    - include_tasks: x.yml\n'), [
    'site.yml:3:7 error: [0].tasks[0].block: "block" is not supported by xivo-ha',
    'site.yml:4:7 error: [0].tasks[1].include_tasks: "include_tasks" is not supported by xivo-ha',
  ]);
});

test('reports a bad enum value of a module argument at the value', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - file: {path: /x, state: dirctory}\n'), [
    'site.yml:3:31 error: [0].tasks[0].file.state: file: must be one of "file", "directory", "absent", "link", "touch", got "dirctory"',
  ]);
});

test('does not check the enum of an argument that is a template', () => {
  const pb = loadTestPlaybook(w, '- hosts: all\n  tasks:\n    - file: {path: /x, state: "{{ base }}"}\n', inventory);
  assert.equal(pb.plays[0]!.tasks[0]!.args['state'], '{{ base }}');
});

test('reports a wrong keyword type', () => {
  assert.deepEqual(problems('- hosts: all\n  become: maybe\n  tasks:\n    - copy: {dest: /x, content: a}\n      ignore_errors: sometimes\n'), [
    'site.yml:2:11 error: [0].become: must be a boolean, got string "maybe"',
    'site.yml:5:22 error: [0].tasks[0].ignore_errors: must be a boolean, got string "sometimes"',
  ]);
});

test('reports a missing required module argument', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - template: {src: x.j2}\n'), ['site.yml:3:17 error: [0].tasks[0].template: template: missing required key "dest"']);
});

test('reports a notify that names no handler', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - copy: {dest: /x, content: a}\n      notify: [restart nginx]\n  handlers:\n    - name: restart nginz\n      debug: {msg: x}\n'), [
    'site.yml:4:16 error: [0].tasks[0].notify[0]: notify "restart nginx" names no handler (handlers of this play: "restart nginz") (did you mean "restart nginz"?)',
  ]);
});

test('accepts a notify that reaches a handler through listen', () => {
  const pb = loadTestPlaybook(w, '- hosts: all\n  tasks:\n    - copy: {dest: /x, content: a}\n      notify: web\n  handlers:\n    - name: h\n      listen: [web]\n      debug: {msg: x}\n', inventory);
  assert.deepEqual(pb.plays[0]!.tasks[0]!.notify, ['web']);
});

test('reports handlers that notify each other in a cycle', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks: []\n  handlers:\n    - name: a\n      debug: {msg: x}\n      notify: b\n    - name: b\n      debug: {msg: y}\n      notify: a\n'), [
    'site.yml:9:15 error: [0].handlers[1].notify: handlers notify each other in a cycle: "a" -> "b" -> "a"',
  ]);
});

test('reports an undefined variable where it is used, and accepts inventory, play, registered and loop variables', () => {
  const p = problems(`- hosts: all
  vars: {port: 80}
  tasks:
    - command: echo {{ base }} {{ port }} {{ inventory_hostname }} {{ peer_address }} {{ prot }}
      register: out
    - debug: {msg: "{{ out.stdout }} {{ letter }}"}
      loop: [a]
      loop_control: {loop_var: letter}
      when: undefined_flag and out.rc == 0
    - debug: {msg: "{{ later | default('x') }} {{ maybe if maybe is defined else '' }}"}
`);
  assert.deepEqual(p, [
    'site.yml:4:16 error: [0].tasks[0].command.cmd: undefined variable "prot" (did you mean "port"?)',
    'site.yml:9:13 error: [0].tasks[1].when: undefined variable "undefined_flag"',
  ]);
});

test("a task's `when: x is defined` lets its arguments, changed_when and template use x, not its name or loop", () => {
  w.write('templates/secret.j2', 'password={{ secret }}\n');
  const p = problems(`- hosts: all
  tasks:
    - copy: {dest: /etc/a, content: "{{ secret }}"}
      when: secret is defined
    - copy: {dest: /etc/b, content: "{{ secret }} {{ token.value }}"}
      changed_when: secret != token
      when: [secret is defined, "token.value is defined and 1 == 1"]
    - template: {src: secret.j2, dest: /etc/c}
      when: "{{ not secret is undefined }}"
    - name: "for {{ secret }}"
      debug: {msg: "{{ item }}"}
      loop: "{{ secret }}"
      when: secret is defined
    - copy: {dest: /etc/d, content: "{{ secret }}"}
      when: secret is defined or 1 == 1
    - copy: {dest: /etc/e, content: "{{ secret }}"}
      when: secret is not defined
    - copy: {dest: /etc/f, content: "{{ secret }}"}
`);
  assert.deepEqual(p, [
    'site.yml:10:13 error: [0].tasks[3].name: undefined variable "secret"',
    'site.yml:12:13 error: [0].tasks[3].loop: undefined variable "secret"',
    'site.yml:14:37 error: [0].tasks[4].copy.content: undefined variable "secret"',
    'site.yml:16:37 error: [0].tasks[5].copy.content: undefined variable "secret"',
    'site.yml:18:37 error: [0].tasks[6].copy.content: undefined variable "secret"',
  ]);
});

test('reports a variable registered only by a later task', () => {
  assert.deepEqual(problems('- hosts: all\n  tasks:\n    - debug: {var: out.rc}\n    - command: "true"\n      register: out\n'), [
    'site.yml:3:20 error: [0].tasks[0].debug.var: undefined variable "out"',
  ]);
});

test('reports a missing template src and an undefined variable inside a template file', () => {
  w.write('templates/bad.j2', 'ok={{ base }}\nnot={{ nowhere }}\n');
  const p = problems('- hosts: all\n  tasks:\n    - template: {src: missing.j2, dest: /x}\n    - template: {src: bad.j2, dest: /y}\n');
  assert.deepEqual(p, [
    'site.yml:3:23 error: [0].tasks[0].template.src: template: src "missing.j2" not found (looked for templates/missing.j2, files/missing.j2, missing.j2)',
    'templates/bad.j2:2:8 error: [0].tasks[1].template.src: template bad.j2 uses undefined variable "nowhere"',
  ]);
});

test('reports every broken play of a playbook at once', () => {
  const p = problems('- hosts: all\n  tasks:\n    - cpoy: {}\n- hosts: all\n  tasks:\n    - file: {state: absent}\n');
  assert.equal(p.length, 2);
});

test('refuses a document that is not a list of plays', () => {
  assert.deepEqual(problems('hosts: all\ntasks: []\n'), ['site.yml:1:1 error: a playbook is a list of plays (each with "hosts" and "tasks"), got a mapping or a scalar']);
});
