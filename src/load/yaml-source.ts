// YAML as Ansible reads it (YAML 1.1: `0644` is octal, `yes` is true), with
// the node tree kept beside the plain value so every diagnostic can point at
// the line and column of the field it is about.

import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { SourcePosition } from '../core/errors.js';
import type { Diagnostics, PathSegment } from './diagnostics.js';

export interface YamlSource {
  file: string;
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

export function loadYamlSource(file: string, diagnostics: Diagnostics): YamlSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    diagnostics.error('load.read', `cannot read ${file}: ${(err as Error).message}`, { file, line: 1, column: 1 });
    return undefined;
  }
  return parseYamlSource(file, text, diagnostics);
}

export function parseYamlSource(file: string, text: string, diagnostics: Diagnostics): YamlSource | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    diagnostics.error('yaml.syntax', `invalid YAML: ${firstLine(e.message)}`, { file, line, column: col });
  }
  if (doc.errors.length > 0) return undefined;
  let value: unknown;
  try {
    // Alias bombs and unresolvable aliases throw here, not while parsing.
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    diagnostics.error('yaml.syntax', `invalid YAML: ${firstLine((err as Error).message)}`, { file, line: 1, column: 1 });
    return undefined;
  }
  return { file, value, doc, lines };
}

/** Where the field at `path` is written; `key` points at the key of a mapping entry instead of its value. */
export function positionOf(src: YamlSource, path: readonly PathSegment[], where: 'key' | 'value' = 'value'): SourcePosition {
  const offset = offsetOf(src, path, where);
  const { line, col } = src.lines.linePos(offset);
  return { file: src.file, line, column: col };
}

function offsetOf(src: YamlSource, path: readonly PathSegment[], where: 'key' | 'value'): number {
  let node: unknown = src.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    node = resolveAlias(src, node);
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return offset;
      const keyStart = rangeStart(pair.key);
      if (keyStart !== undefined) offset = keyStart;
      if (last && where === 'key') return offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return offset;
    }
    const start = rangeStart(node);
    if (start === undefined) return offset;
    offset = start;
  }
  return offset;
}

function resolveAlias(src: YamlSource, node: unknown): unknown {
  let n = node;
  for (let hops = 0; isAlias(n) && hops < 100; hops++) n = n.resolve(src.doc);
  return n;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
