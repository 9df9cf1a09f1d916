// The fault registry: every fault Holdfast can inject is declared once, with a TypeBox schema for its
// parameters. The admin API validates against it, the reader drops stored rows that no longer match it,
// and the schema is published (GET /api/admin/faults/:name) so operators see what a fault accepts.
// A later issue adds a fault (payments.cpu, db.slow, ...) by declaring it in fault-catalog.ts.
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { schemaProblems } from '../platform/config/schema-problems.ts';

export interface FaultDefinition<N extends string = string, S extends TSchema = TSchema> {
  name: N;
  /** One sentence for operators: what the fault does to which role. */
  description: string;
  /** The role(s) whose behaviour changes; informative. */
  affects: string[];
  schema: S;
}

export type FaultParamsOf<D> = D extends FaultDefinition<string, infer S> ? Static<S> : never;

const registry = new Map<string, FaultDefinition>();

export function defineFault<const N extends string, S extends TSchema>(def: FaultDefinition<N, S>): FaultDefinition<N, S> {
  if (!/^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$/.test(def.name)) throw new Error(`fault name "${def.name}" must look like "role.what"`);
  if (registry.has(def.name)) throw new Error(`fault "${def.name}" defined twice`);
  registry.set(def.name, def as unknown as FaultDefinition);
  return def;
}

export function faultDefinition(name: string): FaultDefinition | undefined {
  return registry.get(name);
}

export function faultDefinitions(): FaultDefinition[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export type FaultValidation = { ok: true; params: Record<string, unknown> } | { ok: false; problems: string[] };

/**
 * Applies schema defaults and checks params; every problem is listed (schemaProblems: all of them, each
 * named by its place, `statuses[1]`, with the value found).
 */
export function validateFaultParams(def: FaultDefinition, params: unknown): FaultValidation {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return { ok: false, problems: ['params must be a JSON object'] };
  }
  const withDefaults = Value.Default(def.schema, Value.Clone(params)) as Record<string, unknown>;
  const problems = schemaProblems(def.schema, withDefaults).map((p) => `${p.at || '(params)'}: ${p.message}`);
  return problems.length ? { ok: false, problems } : { ok: true, params: withDefaults };
}
