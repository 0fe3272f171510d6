// Within a play every `notify` must reach a handler (by name or `listen`
// topic), and handlers notifying handlers must not go round in a circle.

import type { HandlerSpec } from '../core/model.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';
import { positionOf, type YamlSource } from './yaml-source.js';
import { didYouMean } from './suggest.js';
import type { BuiltTask } from './task-spec.js';

export function checkHandlers(tasks: BuiltTask[], handlers: BuiltTask<HandlerSpec>[], src: YamlSource, d: Diagnostics): void {
  const answering = (topic: string) => handlers.filter((h) => h.spec.name === topic || h.spec.listen.includes(topic));
  const topics = new Set(handlers.flatMap((h) => [h.spec.name, ...h.spec.listen]));

  for (const entry of [...tasks, ...handlers]) {
    entry.spec.notify.forEach((topic, i) => {
      if (answering(topic).length > 0) return;
      const at = notifyPath(src, entry.path, i);
      const known = topics.size > 0 ? `handlers of this play: ${[...topics].map((t) => `"${t}"`).join(', ')}` : 'this play has no handlers';
      d.error('playbook.missing-handler', `notify "${topic}" names no handler (${known})${didYouMean(topic, topics)}`, positionOf(src, at), at);
    });
  }

  // Depth-first search over "handler notifies handler"; each cycle reported once, at the notify that closes it.
  const state = new Map<BuiltTask<HandlerSpec>, 'open' | 'done'>();
  const visit = (h: BuiltTask<HandlerSpec>, stack: BuiltTask<HandlerSpec>[]): void => {
    state.set(h, 'open');
    h.spec.notify.forEach((topic, i) => {
      for (const next of answering(topic)) {
        const s = state.get(next);
        if (s === 'open') {
          const cycle = [...stack.slice(stack.indexOf(next)), h, next].map((x) => `"${x.spec.name}"`).join(' -> ');
          const at = notifyPath(src, h.path, i);
          d.error('playbook.handler-cycle', `handlers notify each other in a cycle: ${cycle}`, positionOf(src, at), at);
        } else if (s === undefined) visit(next, [...stack, h]);
      }
    });
    state.set(h, 'done');
  };
  for (const h of handlers) if (!state.has(h)) visit(h, []);
}

function notifyPath(src: YamlSource, taskPath: PathSegment[], index: number): PathSegment[] {
  let v: unknown = src.value;
  for (const seg of taskPath) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  const notify = (v as Record<string, unknown> | undefined)?.['notify'];
  return Array.isArray(notify) ? [...taskPath, 'notify', index] : [...taskPath, 'notify'];
}
