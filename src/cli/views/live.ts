// On a terminal: below the plain lines of the human view, one live line per
// host (its current task, how many it has done, its state), redrawn in place
// by log-update, which handles the cursor and line-wrapping details that a
// hand-written redraw gets wrong on narrow terminals.

import { createLogUpdate } from 'log-update';
import type { RunEvent } from '../../core/events.js';
import type { Palette } from './colors.js';

interface HostLine {
  task: string;
  done: number;
  state: 'working' | 'done' | 'failed' | 'unreachable';
}

export function withLiveProgress(inner: (event: RunEvent) => void, stream: NodeJS.WriteStream, c: Palette): (event: RunEvent) => void {
  const update = createLogUpdate(stream, { showCursor: true });
  const hosts = new Map<string, HostLine>();
  const started = Date.now();
  const footer = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = [...hosts].map(([name, h]) => {
      const mark = h.state === 'working' ? c.cyan('…') : h.state === 'done' ? c.green('✓') : c.red('✗');
      return `${mark} ${name.padEnd(16)} ${String(h.done).padStart(3)} tasks  ${c.dim(h.state === 'working' ? h.task : h.state)}`;
    });
    return lines.length ? `${c.dim(`── ${seconds} s`)}\n${lines.join('\n')}` : '';
  };
  return (event) => {
    update.clear();
    inner(event);
    switch (event.type) {
      case 'run_start':
        for (const h of event.hosts) hosts.set(h, { task: 'connecting', done: 0, state: 'working' });
        break;
      case 'host_connected': {
        const h = hosts.get(event.host);
        if (h) h.task = 'gathering';
        break;
      }
      case 'task_result': {
        const h = hosts.get(event.host);
        if (h) {
          h.done++;
          h.task = `after "${event.task}"`;
        }
        break;
      }
      case 'host_unreachable':
      case 'host_failed': {
        const h = hosts.get(event.host);
        if (h) h.state = event.type === 'host_failed' ? 'failed' : 'unreachable';
        break;
      }
      case 'host_summary': {
        const h = hosts.get(event.host);
        if (h && h.state === 'working') h.state = 'done';
        break;
      }
      case 'run_end':
        update.clear();
        update.done();
        return;
      default:
        break;
    }
    update(footer());
  };
}
