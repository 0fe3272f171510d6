// What the loader produces and the runner consumes: inventories and
// playbooks as plain, validated, position-carrying values.

import type { SourcePosition } from './errors.js';
import type { Secret } from './secret.js';

export type Vars = Record<string, unknown>;

export interface InventoryHost {
  name: string;
  /** Where to connect (ansible_host). */
  address: string;
  port: number;
  user: string;
  identityFile?: string;
  /** known_hosts file to verify (and, with --accept-new, record) host keys. */
  knownHosts?: string;
  connectTimeoutS: number;
  /** Fully merged variables for this host (group vars, host vars, derived vars, secrets). */
  vars: Vars;
  groups: string[];
  position?: SourcePosition;
}

export type NodeRole = 'master' | 'slave' | 'cc' | 'mds' | 'edge';
export type Deployment = 'xivo' | 'cc' | 'xds';

export interface ClusterNode {
  name: string;
  role: NodeRole;
  address: string;
  /** cc nodes: the XiVO node (master or slave) this CC works with. */
  pairsWith?: string;
  position?: SourcePosition;
}

export interface Cluster {
  name: string;
  deployment: Deployment;
  nodes: ClusterNode[];
  /** The normalised `ha:` block (profile resolved to numbers); shape in src/load/ha-settings.ts. */
  ha: Vars;
}

export interface Inventory {
  path: string;
  kind: 'xivo' | 'ansible';
  hosts: Map<string, InventoryHost>;
  /** Group name → host names, `all` included. */
  groups: Map<string, string[]>;
  /** Present for XiVO inventories. */
  cluster?: Cluster;
  secrets: Map<string, Secret>;
}

export interface TaskSpec {
  name: string;
  /** Canonical short module name (copy, template, …). */
  module: string;
  /** Raw arguments, not yet templated; free-form text already moved to its key. */
  args: Record<string, unknown>;
  /** Jinja expressions (no braces), all must hold. */
  when: string[];
  /** A list, or a "{{ expr }}" string evaluating to one. */
  loop?: unknown;
  loopVar: string;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  register?: string;
  notify: string[];
  changedWhen?: string[];
  failedWhen?: string[];
  ignoreErrors: boolean;
  /** Ansible's `timeout`: seconds a command the task runs may take before it is killed and the task fails. */
  timeoutS?: number;
  /**
   * Ansible's `check_mode`: false runs the task even in a dry run (`plan`), for
   * a command that only reads; true never runs it, even in apply (only planned).
   */
  checkMode?: boolean;
  vars: Vars;
  position: SourcePosition;
}

export interface HandlerSpec extends TaskSpec {
  /** Names this handler answers to: its name plus `listen:` topics. */
  listen: string[];
}

export interface PlaySpec {
  name: string;
  /** Ansible host pattern. */
  hosts: string;
  vars: Vars;
  tasks: TaskSpec[];
  handlers: HandlerSpec[];
  become?: boolean;
  /** Directory of the playbook file: template/copy `src` resolve against DIR/templates, DIR/files, DIR. */
  baseDir: string;
  position: SourcePosition;
}

export interface Playbook {
  path: string;
  plays: PlaySpec[];
}
