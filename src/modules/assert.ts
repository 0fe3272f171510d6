// ansible.builtin.assert. Contract with the runner (src/core/task-plan.ts,
// prepareArgs): conditions are evaluated BEFORE plan, so the module stays
// pure and never sees an expression engine. plan receives
//   that:       boolean[]  the value of each condition, in order
//   that_text:  string[]   the conditions as written, for messages
// plus fail_msg (alias msg), success_msg and quiet, already templated.
// The schema describes the arguments as written in the playbook.

import type { Module, ModulePlan } from '../core/types.js';
import { bool, optionalString, stringList, type Args } from './shared/args.js';
import { argsObject, boolArg, requireOneOf, stringOrListArg } from './shared/schema.js';

export const assert: Module = {
  name: 'assert',
  aliases: ['ansible.builtin.assert', 'ansible.legacy.assert'],
  argsSchema: argsObject(
    {
      that: { anyOf: [stringOrListArg, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }] },
      fail_msg: {},
      msg: {},
      success_msg: {},
      quiet: boolArg,
    },
    { ...requireOneOf(['that']) },
  ),

  probes: () => [],

  plan(args: Args): ModulePlan {
    const values = Array.isArray(args.that) ? args.that : [args.that];
    const texts = stringList(args, 'that_text');
    const quiet = bool(args, 'quiet', false);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === true) continue;
      const text = texts[i] ?? String(values[i]);
      const msg = optionalString(args, 'fail_msg') ?? optionalString(args, 'msg');
      return {
        changes: [],
        failed: msg ?? `Assertion failed: ${text}`,
        result: { changed: false, assertion: text, evaluated_to: values[i] ?? false, msg: msg ?? 'Assertion failed' },
      };
    }
    const success = optionalString(args, 'success_msg') ?? 'All assertions passed';
    return { changes: [], note: success, result: { changed: false, msg: success }, ...(quiet ? {} : { messages: [success] }) };
  },
};
