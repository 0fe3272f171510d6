// ansible.posix.authorized_key, with the collection's algorithm: the file is
// parsed into keys (by their base64 blob) and other lines (kept verbatim); a
// wanted key whose options or comment differ is moved to the end with the new
// ones; exclusive drops every other key; the file is rewritten as Ansible
// serialises it ("options type blob comment\n", a trailing space when there
// is no comment), 0600 and owned by the user; manage_dir makes the directory
// 0700, owned by the user. Nothing is touched when the keys already match.
//
// The default path is ~user/.ssh/authorized_keys. Probes are listed before
// the user's home is known, so the default assumes /root for root and
// /home/USER otherwise; a user whose home is elsewhere needs `path`.
// Not supported: keys from URLs or files, follow, validate_certs.

import { posix } from 'node:path';
import type { Change, Module, ModulePlan, Probe } from '../core/types.js';
import { ModuleArgError, bool, choice, optionalString, requiredString, type Args } from './shared/args.js';
import { planWrite } from './shared/content.js';
import { attrsDelta, attrsStep, isEmptyDelta } from './shared/file-attrs.js';
import { argsObject, boolArg, enumArg, textArg } from './shared/schema.js';

interface KeyArgs {
  user: string;
  keys: string[];
  path: string;
  explicitPath: boolean;
  manageDir: boolean;
  present: boolean;
  exclusive: boolean;
  keyOptions?: string;
  comment?: string;
}

function parse(args: Args): KeyArgs {
  const user = requiredString(args, 'user');
  const path = optionalString(args, 'path');
  const key = requiredString(args, 'key');
  if (/^(https?|file):/.test(key)) throw new ModuleArgError('keys from URLs or files are not supported: give the key text');
  const a: KeyArgs = {
    user,
    keys: key.split(/\r\n|\r|\n/).filter((l) => l !== '' && !l.startsWith('#')),
    path: path ?? defaultKeysFile(user),
    explicitPath: path !== undefined,
    manageDir: bool(args, 'manage_dir', true),
    present: choice(args, 'state', ['present', 'absent'] as const, 'present') === 'present',
    exclusive: bool(args, 'exclusive', false),
  };
  const options = optionalString(args, 'key_options');
  if (options !== undefined) a.keyOptions = options;
  const comment = optionalString(args, 'comment');
  if (comment !== undefined) a.comment = comment;
  return a;
}

function defaultKeysFile(user: string): string {
  return posix.join(user === 'root' ? '/root' : `/home/${user}`, '.ssh', 'authorized_keys');
}

export const authorized_key: Module = {
  name: 'authorized_key',
  aliases: ['ansible.posix.authorized_key'],
  argsSchema: argsObject(
    {
      user: textArg,
      key: { type: 'string' },
      path: textArg,
      manage_dir: boolArg,
      state: enumArg(['present', 'absent']),
      exclusive: boolArg,
      key_options: { type: 'string' },
      comment: { type: 'string' },
    },
    { required: ['user', 'key'] },
  ),

  probes(args: Args): Probe[] {
    const a = parse(args);
    return [
      { kind: 'user', name: a.user },
      { kind: 'file', path: a.path, content: true },
      { kind: 'file', path: posix.dirname(a.path) },
    ];
  },

  plan(args: Args, facts, ctx): ModulePlan {
    const a = parse(args);
    const user = facts.user(a.user);
    if (!user.exists) return { changes: [], failed: `Failed to lookup user ${a.user}` };
    if (!a.explicitPath && posix.join(user.home, '.ssh', 'authorized_keys') !== a.path) {
      return { changes: [], failed: `the home of ${a.user} is ${user.home}: set path: ${posix.join(user.home, '.ssh', 'authorized_keys')}` };
    }
    const fact = facts.file(a.path);
    if (fact.exists && fact.type !== 'file') return { changes: [], failed: `${a.path} is a ${fact.type}, not a regular file` };
    const existing = fact.exists ? (fact.content ?? Buffer.alloc(0)).toString('utf8') : '';
    const edit = editKeys(a, existing);
    const result = { user: a.user, keyfile: a.path, key: a.keys.join('\n') };
    if (!edit.write) return { changes: [], note: a.present ? `in sync: the key is in ${a.path}` : `in sync: the key is not in ${a.path}`, result };

    const owner = { mode: 0o600, owner: a.user, group: String(user.gid) };
    const write = planWrite({ path: a.path, content: Buffer.from(edit.content, 'utf8'), fact, attrs: owner, ctx });
    const change: Change = write.change!;
    change.summary = `${a.present ? 'authorize' : 'revoke'} ${describeKeys(a.keys)} for ${a.user} in ${a.path}`;
    const dir = posix.dirname(a.path);
    const dirFact = facts.file(dir);
    if (a.manageDir) {
      if (!dirFact.exists) change.steps.unshift({ kind: 'mkdir', path: dir, mode: 0o700, owner: a.user, group: String(user.gid) });
      else {
        const delta = attrsDelta(dirFact, { mode: 0o700, owner: a.user, group: String(user.gid) });
        if (!isEmptyDelta(delta)) change.steps.unshift(attrsStep(dir, delta));
      }
    } else if (!dirFact.exists) {
      change.steps.unshift({ kind: 'mkdir', path: dir });
    }
    return { changes: [change], result };
  },
};

function describeKeys(lines: string[]): string {
  const comments = lines.map((l) => parseKey(l)).map((k) => (typeof k === 'object' ? k.comment : '')).filter((c) => c !== '');
  const what = lines.length === 1 ? 'key' : `${lines.length} keys`;
  return comments.length > 0 ? `${what} ${comments.join(', ')}` : what;
}

interface ParsedKey {
  blob: string;
  type: string;
  options: Map<string, string | null>;
  comment: string;
}

interface Entry {
  /** A key, or a line kept verbatim (comments, blank lines, anything not a key). */
  key?: ParsedKey;
  line?: string;
  rank: number;
}

const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-rsa',
  'ssh-xmss@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-512',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
]);

/** The collection's parsekey(): options, type, blob and comment, split on whitespace; undefined when not a key. */
function parseKey(raw: string): ParsedKey | 'comment' | undefined {
  const parts = raw.replace(/\\#/g, '#').split(/[ \t\r\n]+/).filter((p) => p !== '');
  if (parts[0] === '#') return 'comment';
  const typeIndex = parts.findIndex((p) => KEY_TYPES.has(p));
  if (typeIndex === -1 || parts[typeIndex + 1] === undefined) return undefined;
  return {
    type: parts[typeIndex]!,
    blob: parts[typeIndex + 1]!,
    options: parseOptions(typeIndex > 0 ? parts.slice(0, typeIndex).join(' ') : undefined),
    comment: parts.slice(typeIndex + 2).join(' '),
  };
}

function parseOptions(options: string | undefined): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (!options) return out;
  for (const part of options.match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const eq = part.indexOf('=');
    if (eq >= 0) out.set(part.slice(0, eq), part.slice(eq + 1));
    else out.set(part, null);
  }
  return out;
}

function sameKey(a: ParsedKey, b: ParsedKey): boolean {
  if (a.type !== b.type || a.comment !== b.comment || a.options.size !== b.options.size) return false;
  for (const [k, v] of a.options) if (!b.options.has(k) || b.options.get(k) !== v) return false;
  return true;
}

function editKeys(a: KeyArgs, existing: string): { write: boolean; content: string } {
  const entries = new Map<string, Entry>();
  (existing.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? []).forEach((line, rank) => {
    const parsed = parseKey(line);
    if (parsed === undefined || parsed === 'comment') entries.set(line, { line, rank });
    else entries.set(parsed.blob, { key: parsed, rank });
  });
  const existingCount = entries.size;
  const wanted: string[] = [];
  let write = false;
  a.keys.forEach((raw, rank) => {
    const parsed = parseKey(raw);
    if (parsed === undefined || parsed === 'comment') throw new ModuleArgError(`invalid key specified: ${raw}`);
    if (a.keyOptions !== undefined) parsed.options = parseOptions(a.keyOptions);
    if (a.comment !== undefined) parsed.comment = a.comment;
    const current = entries.get(parsed.blob)?.key;
    if (!a.present) {
      if (current) {
        entries.delete(parsed.blob);
        write = true;
      }
      return;
    }
    wanted.push(parsed.blob);
    if (current && sameKey(current, parsed)) return;
    entries.delete(parsed.blob);
    entries.set(parsed.blob, { key: parsed, rank: existingCount + rank });
    write = true;
  });
  if (a.present && a.exclusive) {
    for (const id of [...entries.keys()]) {
      // As the collection does, exclusive drops comment and blank lines too.
      if (!wanted.includes(id)) {
        entries.delete(id);
        write = true;
      }
    }
  }
  const content = [...entries.values()]
    .sort((x, y) => x.rank - y.rank)
    .map((e) => (e.key ? serialise(e.key) : e.line!))
    .join('');
  return { write, content };
}

function serialise(key: ParsedKey): string {
  const options = [...key.options].map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',');
  return `${options ? `${options} ` : ''}${key.type} ${key.blob} ${key.comment}\n`;
}
