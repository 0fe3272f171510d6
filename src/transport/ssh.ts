// SSH hosts: one ssh2 connection per host for the whole run, with the agent
// started once over one exec channel. The only importer of ssh2.
// ssh2's unsafe defaults are overridden: host keys are verified against
// known_hosts (strict unless --accept-new, a changed key never accepted) and
// keepalives are on.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type ssh2 from 'ssh2';
import type { Algorithms, AnyAuthMethod, ClientChannel, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import { ConnectError, UserError } from '../core/errors.js';
import type { InventoryHost } from '../core/model.js';
import type { CommandFact, Probe, Step, StepResult } from '../core/types.js';
import { AgentClient } from './agent-client.js';
import { agentArgv, supervisedArgv } from './agent-source.js';
import { describeConnectFailure } from './connect-errors.js';
import { hostKeyVerifier } from './host-key-policy.js';
import { knownHostsName, knownKeyTypes, loadKnownHosts } from './known-hosts.js';
import { quoteArgv } from './shell.js';
import { execArgvWithEnv, exitCode } from './exec-argv.js';
import type { ConnectOptions, Connector, ExecOptions, FactValue, HostConnection } from './types.js';

// The client and the key parser straight from ssh2's lib/: its index also
// loads the server, SFTP, ssh-agent and HTTP agent code, about 10 ms more of
// every run's start. ssh2 declares no "exports" map, so these paths are
// reachable; the lockfile pins the version whose layout this assumes, and
// every SSH test goes through them.
const requireSsh2 = createRequire(import.meta.url);
const Client = requireSsh2('ssh2/lib/client.js') as typeof ssh2.Client;
const { parseKey } = requireSsh2('ssh2/lib/protocol/keyParser.js') as { parseKey: typeof ssh2.utils.parseKey };
type SshClient = InstanceType<typeof Client>;

const DEFAULT_KEEPALIVE_MS = 5000;
const KEEPALIVE_COUNT_MAX = 3;
const CLOSE_GRACE_MS = 5000;
/** python3 itself can take seconds to start on a loaded node. */
const AGENT_START_MIN_S = 30;
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const ALL_HOST_KEY_ALGORITHMS = Object.values(HOST_KEY_ALGORITHMS).flat();

/** Fast first (the benchmark compares us with Ansible), broadly compatible after. */
function algorithmsFor(knownTypes: string[]): Algorithms {
  const preferred = knownTypes.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
  return {
    kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256'],
    cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr'],
    serverHostKey: [...new Set([...preferred, ...ALL_HOST_KEY_ALGORITHMS])],
  };
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}


/** The inventory's identity file, or the runner's default keys, parsed; plus ssh-agent when there is one. */
function authMethods(host: InventoryHost): AnyAuthMethod[] {
  const username = host.user;
  const files = host.identityFile
    ? [expandHome(host.identityFile)]
    : DEFAULT_IDENTITIES.map((n) => join(homedir(), '.ssh', n)).filter((p) => existsSync(p));
  const methods: AnyAuthMethod[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      throw new ConnectError(host.name, 'auth', `cannot read identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'set ssh.identity_file (or ansible_ssh_private_key_file) to a readable private key', { cause: e });
    }
    const parsed = parseKey(data);
    if (parsed instanceof Error) {
      throw new ConnectError(host.name, 'auth', `cannot use identity file ${file}: ${parsed.message}`,
        'xivo-ha reads unencrypted OpenSSH/PEM keys; for a passphrase-protected key, load it into ssh-agent (SSH_AUTH_SOCK) and leave identity_file unset');
    }
    methods.push({ type: 'publickey', username, key: parsed as ParsedKey });
  }
  if (!host.identityFile && process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username, agent: process.env.SSH_AUTH_SOCK });
  if (methods.length === 0) {
    throw new ConnectError(host.name, 'auth', 'no SSH key to log in with',
      `set ssh.identity_file in the inventory, or create ~/.ssh/${DEFAULT_IDENTITIES[0]}`);
  }
  return methods;
}

function openSsh(host: InventoryHost, options: ConnectOptions): Promise<SshClient> {
  const knownHostsPath = expandHome(host.knownHosts ?? '~/.ssh/known_hosts');
  const methods = authMethods(host);
  const timeoutS = host.connectTimeoutS;
  let hostKeyProblem: ConnectError | undefined;
  let tcpConnected = false;
  const client = new Client();
  const config: ConnectConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    readyTimeout: timeoutS * 1000,
    keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier: hostKeyVerifier(host, knownHostsPath, options.acceptNew, (p) => (hostKeyProblem = p)),
    authHandler: methods,
    algorithms: algorithmsFor(knownKeyTypes(loadKnownHosts(knownHostsPath), knownHostsName(host.address, host.port))),
  };
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { level?: string; code?: string }) =>
      fail(hostKeyProblem ?? describeConnectFailure(host, err, { timeoutS, tcpConnected }));
    const onClose = () => fail(hostKeyProblem ?? new ConnectError(host.name, 'closed', 'the connection closed during the SSH handshake'));
    const settle = () => {
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
    };
    const fail = (error: ConnectError) => {
      settle();
      client.on('error', () => undefined);
      client.end();
      reject(error);
    };
    client.on('connect', () => (tcpConnected = true));
    client.on('error', onError);
    client.on('close', onClose);
    client.once('ready', () => {
      settle();
      // Later errors reach the connection through 'close'; an unlistened 'error' would crash the run.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.connect(config);
  });
}

function openExec(client: SshClient, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

export class SshConnection implements HostConnection {
  readonly host: string;
  #closed = false;
  #clientClosed = false;

  constructor(
    private readonly inventoryHost: InventoryHost,
    private readonly client: SshClient,
    private readonly agent: AgentClient,
    private readonly options: ConnectOptions,
  ) {
    this.host = inventoryHost.name;
    const lost = (why: string) => () =>
      agent.fail(new ConnectError(this.host, 'closed', `connection lost (${why})`,
        'the host went away or the network dropped; nothing was half-written: files are replaced atomically'));
    client.on('error', (e: Error) => lost(e.message)());
    client.on('close', () => {
      this.#clientClosed = true;
      lost('closed')();
    });
  }

  probe(probes: Probe[]): Promise<Map<string, FactValue>> {
    return this.agent.probe(probes, this.options.commandTimeoutMs);
  }

  apply(steps: Step[]): Promise<StepResult[]> {
    return this.agent.apply(steps, this.options.commandTimeoutMs);
  }

  lock(holder: string, path?: string): Promise<void> {
    return this.agent.lock(holder, path);
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<CommandFact> {
    // The node ends the command when this channel closes or, should the close
    // never reach it (a cut link), a little after the timeout.
    const words = supervisedArgv(execArgvWithEnv(argv, options.env), options.timeoutMs);
    const command = quoteArgv(throughSudo(this.inventoryHost) ? ['sudo', '-n', '--', ...words] : words);
    const channel = await openExec(this.client, command).catch((e: Error) => {
      throw new ConnectError(this.host, 'closed', `cannot open an exec channel: ${e.message}`, undefined, { cause: e });
    });
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null = null;
      let signal: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          channel.close();
          reject(new UserError(`${this.host}: timed out after ${options.timeoutMs! / 1000} s: ${argv.join(' ')}`,
            'the command did not finish in time; closing its channel killed it and its process group on the node'));
        }, options.timeoutMs);
      }
      channel.on('data', (d: Buffer) => out.push(d));
      channel.stderr.on('data', (d: Buffer) => err.push(d));
      channel.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s;
      });
      channel.on('close', () => {
        clearTimeout(timer);
        resolve({ rc: exitCode(code, signal), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      channel.end(options.stdin ?? '');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.agent.end();
    if (this.#clientClosed) return;
    await new Promise<void>((resolve) => {
      // A server that never answers the disconnect must not hold the run.
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }
}

/**
 * What xivo-ha manages on a node is root's (units, keys, /etc, the database's
 * files): a login user other than root reaches it through `sudo -n`, for the
 * agent and every command, as Ansible's `become: true` on every play would.
 */
function throughSudo(host: InventoryHost): boolean {
  return host.user !== 'root';
}

export const connectSsh: Connector = async (host, options) => {
  const client = await openSsh(host, options);
  const become = throughSudo(host);
  const argv = become ? ['sudo', '-n', '--', ...agentArgv()] : agentArgv();
  try {
    const channel = await openExec(client, quoteArgv(argv));
    const agent = new AgentClient(host.name, { stdin: channel, stdout: channel, stderr: channel.stderr }, (stderr) =>
      new ConnectError(host.name, 'closed', 'the agent stopped', stderr ? `agent stderr: ${stderr}` : undefined),
    );
    const connection = new SshConnection(host, client, agent, options);
    const startS = Math.max(host.connectTimeoutS * 3, AGENT_START_MIN_S);
    let timer: NodeJS.Timeout | undefined;
    const startTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectError(host.name, 'timeout', `the xivo-ha agent did not answer within ${startS} s of starting`,
        'is the node overloaded, or is python3 hanging at start-up?')), startS * 1000);
    });
    await Promise.race([agent.ping(), startTimeout]).finally(() => clearTimeout(timer)).catch((e: Error) => {
      if (e instanceof ConnectError && e.reason === 'timeout') throw e;
      throw new ConnectError(host.name, 'other', `cannot start the xivo-ha agent (${become ? 'sudo -n python3' : 'python3'})`,
        `the node needs python3${become ? ' and passwordless sudo for ' + host.user : ''}. ${agent.stderrTail ? 'agent stderr: ' + agent.stderrTail : e.message}`,
        { cause: e });
    });
    return connection;
  } catch (e) {
    client.end();
    if (e instanceof ConnectError) throw e;
    throw new ConnectError(host.name, 'other', `cannot start the xivo-ha agent: ${(e as Error).message}`, undefined, { cause: e });
  }
};
