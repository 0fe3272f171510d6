// `xivo-ha lab …`: the lab as a product feature (docs/lab.md). Thin wiring:
// every action is in src/lab/, imported by the action (like the other
// commands: the other commands' start does not load the lab).

import { spawn } from 'node:child_process';
import type { Command } from 'commander';

const labApi = () => import('../lab/lab.js');
const parseDeployment = async (kind: string) => (await import('../lab/topology.js')).parseDeployment(kind);

const log = (line: string): void => {
  process.stderr.write(`lab: ${line}\n`);
};

function timed<A extends unknown[]>(what: string, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const t0 = Date.now();
    await action(...args);
    log(`${what} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
}

/** Runs argv with our stdio, resolving to its exit code (ssh and exec pass the node's code through). */
function passThrough(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { stdio: 'inherit' });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('A local lab of XiVO-like nodes (systemd-nspawn containers) for tests, demos and failover rehearsals');

  lab
    .command('up')
    .description('bring up the lab (a stale lab is removed first); builds the base image once')
    .option('--deployment <kind>', 'xivo | cc | xds', 'xivo')
    .option('--edge', 'add the Edge node')
    .option('--all-nodes', 'all six nodes (what the test suite uses)')
    .action(
      timed('up', async (opts: { deployment: string; edge?: boolean; allNodes?: boolean }) => {
        const { nodes } = await (await labApi()).labUp({ deployment: await parseDeployment(opts.deployment), edge: opts.edge, allNodes: opts.allNodes }, log);
        for (const n of nodes) process.stdout.write(`${n.name}\t${n.address}\t${n.role}\n`);
      }),
    );

  lab
    .command('build')
    .description('build the base image if it is not cached yet (what `up` does first); prints its path')
    .action(
      timed('build', async () => {
        process.stdout.write(`${await (await labApi()).labBuild(log)}\n`);
      }),
    );

  lab
    .command('down')
    .description('remove every node, netns, interface, mount, cgroup and process of the lab')
    .action(timed('down', async () => (await labApi()).labDown(log)));

  lab
    .command('status')
    .description('nodes of the running lab: running or powered off, link up or cut')
    .action(async () => {
      const nodes = await (await labApi()).labStatus();
      if (!nodes) {
        process.stdout.write('the lab is not up\n');
        return;
      }
      for (const n of nodes) {
        const state = !n.running ? 'powered off' : n.linkUp ? 'running' : 'running, link cut';
        process.stdout.write(`${n.name.padEnd(10)} ${n.address.padEnd(12)} ${n.role.padEnd(7)} ${state}\n`);
      }
    });

  lab
    .command('kill')
    .description("cut the node's link (it keeps running); --hard also powers it off")
    .argument('<node>')
    .option('--hard', 'power the node off (SIGKILL to all its processes)')
    .action(timed('kill', async (node: string, opts: { hard?: boolean }) => (await labApi()).killNode(node, { hard: opts.hard })));

  lab
    .command('revive')
    .description("restore the node's link, booting it first (disk kept) if it was powered off")
    .argument('<node>')
    .action(timed('revive', async (node: string) => (await labApi()).reviveNode(node)));

  lab
    .command('loss')
    .description("make the node's link drop PERCENT % of its frames, both ways (0: clean again)")
    .argument('<node>')
    .argument('<percent>')
    .action(timed('loss', async (node: string, percent: string) => (await labApi()).setLinkLoss(node, Number(percent))));

  lab
    .command('reset')
    .description('give the node a fresh disk from the base image (same host keys) and boot it')
    .argument('<node>')
    .action(timed('reset', async (node: string) => (await labApi()).resetNode(node)));

  lab
    .command('ssh')
    .description('ssh to the node over the lab network as root (a shell without CMD)')
    .argument('<node>')
    .argument('[cmd...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (node: string, cmd: string[]) => {
      const [{ requireLabNode, requireLabState }, { labSshArgv }] = await Promise.all([import('../lab/state.js'), labApi()]);
      requireLabNode(requireLabState(), node);
      process.exitCode = await passThrough(labSshArgv(node, cmd, { tty: cmd.length === 0 && process.stdin.isTTY }));
    });

  lab
    .command('exec')
    .description("run CMD inside the node through its namespaces (works while its link is cut)")
    .argument('<node>')
    .argument('<cmd...>')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (node: string, cmd: string[]) => {
      const r = await (await labApi()).labExec(node, cmd);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code ?? 1;
    });

  lab
    .command('inventory')
    .description('write a XiVO inventory and known_hosts for the lab nodes; prints the inventory path')
    .option('--deployment <kind>', 'xivo | cc | xds', 'xivo')
    .option('--edge', 'include the Edge node')
    .option('--out <dir>', 'directory to write to (default: .lab/ of the package)')
    .action(async (opts: { deployment: string; edge?: boolean; out?: string }) => {
      const { writeLabInventory } = await import('../lab/inventory.js');
      const files = await writeLabInventory({ deployment: await parseDeployment(opts.deployment), edge: opts.edge, outDir: opts.out });
      process.stdout.write(`${files.inventory}\n`);
    });
}
