// The demo itself (see demo.ts): the main job on the embedded lab, narrated.
// A master and a slave come up, the HA playbook is planned and applied, the
// second plan is empty, the master's link is cut and the slave takes over,
// the master comes back and the slave hands telephony back. Each xivo-ha
// step runs the real CLI, so what you see is what an operator would see.

import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { labDown, labExec, labUp, killNode, reviveNode } from '../../lab/lab.js';
import { writeLabInventory } from '../../lab/inventory.js';
import { findNode } from '../../lab/topology.js';
import { UserError } from '../../core/errors.js';
import { colorWanted, palette } from '../views/colors.js';

const c = palette(colorWanted(process.stdout, false));
const say = (text: string) => process.stdout.write(`\n${c.bold(c.cyan('▶'))} ${c.bold(text)}\n`);
const note = (text: string) => process.stdout.write(`  ${text}\n`);

function xivoHa(args: string[], okCodes = [0]): number {
  process.stdout.write(c.dim(`$ xivo-ha ${args.join(' ')}\n`));
  const r = spawnSync(process.execPath, [process.argv[1]!, ...args], { stdio: 'inherit' });
  const code = r.status ?? 1;
  if (!okCodes.includes(code)) throw new UserError(`xivo-ha ${args[0]} exited ${code}`);
  return code;
}

async function sipAnswers(node: string): Promise<boolean> {
  // Asked from the node itself: works even while its link is cut.
  const r = await labExec(node, ['lab-sip', 'options', findNode(node).address, '--timeout', '1']);
  return r.code === 0;
}

async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutS: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutS * 1000) {
    if (await predicate()) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new UserError(`${what}: not within ${timeoutS} s`);
}

async function telephonyLine(): Promise<string> {
  const [m, s] = await Promise.all([sipAnswers('master'), sipAnswers('slave')]);
  return `telephony (SIP OPTIONS answered): master ${m ? c.green('yes') : c.red('no')}, slave ${s ? c.green('yes') : c.red('no')}`;
}

export async function runDemo(options: { keep: boolean }): Promise<void> {
  say(`Bringing up the lab: a XiVO master (${findNode('master').address}) and slave (${findNode('slave').address}), booted Debian 12 containers`);
  note('(the first run builds the base image once: a few minutes)');
  await labUp({ deployment: 'xivo' }, (line) => note(c.dim(line)));
  const files = await writeLabInventory({ deployment: 'xivo', profile: 'fast' });
  const inv = relative(process.cwd(), files.inventory) || files.inventory;
  note(`inventory: ${inv} (fast monitor profile, the runner as witness)`);
  try {
    say('What would provisioning change? (a dry run: nothing is written)');
    xivoHa(['plan', '-i', inv], [0]);

    say('Provisioning the HA pair');
    xivoHa(['apply', '-i', inv]);

    say('Planning again: the cluster is in sync, nothing to do');
    xivoHa(['plan', '-i', inv, '--detailed-exitcode']);
    note(await telephonyLine());

    say('Cutting the master off the network (as if it had died)');
    await killNode('master');
    const takeover = await waitFor('the slave taking over', () => sipAnswers('slave'), 120);
    note(c.green(`the slave answers SIP ${takeover.toFixed(1)} s after the cut`));
    // The master still runs, unreachable: its watch stops its telephony once it reaches neither the slave nor the witness.
    const fenced = await waitFor('the cut-off master fencing itself', async () => !(await sipAnswers('master')), 120);
    note(c.green(`the cut-off master stopped its own telephony ${(takeover + fenced).toFixed(1)} s after the cut (it reaches neither the slave nor the witness)`));
    note(await telephonyLine());

    say('The master comes back');
    await reviveNode('master');
    let both = 0;
    const failback = await waitFor('the failback', async () => {
      const [m, s] = await Promise.all([sipAnswers('master'), sipAnswers('slave')]);
      if (m && s) both += 1;
      return m && !s;
    }, 240);
    note(c.green(`telephony back on the master ${failback.toFixed(1)} s after it returned (its guard held it until the slave's stable period ended)`));
    note(both === 0 ? c.green('the two nodes never answered at the same time') : c.red(`both nodes answered in ${both} checks`));
    note(await telephonyLine());
    say('Where things stand');
    xivoHa(['status', '-i', inv], [0, 1, 2, 3]);
  } finally {
    if (options.keep) {
      say('Leaving the lab up (--keep): `xivo-ha lab down` removes it');
    } else {
      say('Tearing the lab down');
      await labDown();
    }
  }
}
