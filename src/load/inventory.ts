// loadInventory: YAML → schema → normalise → cross-field rules. Every
// problem of every stage that can run is reported at once, located.

import { resolve } from 'node:path';
import type { Inventory, Vars } from '../core/model.js';
import { InternalError } from '../core/errors.js';
import { Diagnostics } from './diagnostics.js';
import { loadYamlSource, parseYamlSource, type YamlSource } from './yaml-source.js';
import { schemaDefinition, validateAgainst } from './schema.js';
import { buildXivoInventory, type RawXivoInventory } from './xivo-inventory.js';
import { buildAnsibleInventory } from './ansible-inventory.js';

export interface LoadInventoryOptions {
  /** `-e k=v`: on top of every host's variables. */
  extraVars?: Vars;
}

export function loadInventory(path: string, options: LoadInventoryOptions = {}): Inventory {
  const d = new Diagnostics();
  const src = loadYamlSource(resolve(path), d);
  return inventoryFrom(src, d, options);
}

/** The same as loadInventory for text already in memory (tests, fuzzing); `file` names it in diagnostics. */
export function parseInventory(file: string, text: string, options: LoadInventoryOptions = {}): Inventory {
  const d = new Diagnostics();
  return inventoryFrom(parseYamlSource(file, text, d), d, options);
}

function inventoryFrom(src: YamlSource | undefined, d: Diagnostics, options: LoadInventoryOptions): Inventory {
  if (!src) {
    d.throwIfAny();
    throw new InternalError('no YAML source and no diagnostic');
  }
  const isAnsible = isObject(src.value) && 'all' in src.value;
  const schema = schemaDefinition('inventory.schema.json', isAnsible ? 'ansibleInventory' : 'xivoInventory');
  if (!validateAgainst(schema, src.value, src, d, { codePrefix: 'inventory' })) d.throwIfAny();
  const extraVars = options.extraVars ?? {};
  const inventory = isAnsible
    ? buildAnsibleInventory(src, src.value as Parameters<typeof buildAnsibleInventory>[1], extraVars, d)
    : buildXivoInventory(src, src.value as RawXivoInventory, extraVars, d);
  d.throwIfAny();
  return inventory;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
