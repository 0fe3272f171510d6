// The loader's public face: inventories and playbooks from disk, validated,
// normalised, every problem located. Nothing here touches the network or a host.

import type { Inventory, Playbook } from '../core/model.js';
import { findModule } from '../modules/index.js';
import { expressionSyntaxErrors, expressionUndefinedVariables, namesDefinedByCondition, templateSyntaxErrors, undefinedVariables } from '../template/index.js';
import { loadPlaybookWith, parsePlaybookWith, type PlaybookLoadOptions } from './playbook.js';
import type { TemplateChecker } from './variable-check.js';

export { loadInventory, parseInventory, type LoadInventoryOptions } from './inventory.js';
export { selectHosts } from './host-pattern.js';
export { normaliseHaSettings, type HaSettings } from './ha-settings.js';
export type { PlaybookLoadOptions } from './playbook.js';

const templates: TemplateChecker = { undefinedVariables, expressionUndefinedVariables, namesDefinedByCondition, templateSyntaxErrors, expressionSyntaxErrors };

/** Loads a playbook checked against the module registry and the template engine; options replace either (tests). */
export function loadPlaybook(path: string, inventory: Inventory, options: Partial<PlaybookLoadOptions> = {}): Playbook {
  return loadPlaybookWith(path, inventory, { findModule, templates, ...options });
}

export function parsePlaybook(file: string, text: string, inventory: Inventory, options: Partial<PlaybookLoadOptions> = {}): Playbook {
  return parsePlaybookWith(file, text, inventory, { findModule, templates, ...options });
}
