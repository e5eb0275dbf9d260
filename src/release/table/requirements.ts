import type { Requirement } from './protect.js';
import { ruleRequirements, type RuleParams } from './rule.js';
import type { CountTable } from './types.js';

/**
 * Requirements for the hidden cells of one component (rule.ts
 * `ruleRequirements`): the same in suppress and in the audit — the audit
 * does not know which cells were primary, so suppress does not use it either.
 */
export function componentRequirements(table: CountTable, _hidden: Uint8Array, members: number[], params: RuleParams): Requirement[] {
  return ruleRequirements(table, members, params);
}
