// Fault injection use cases: list, inspect, set and clear faults (validated against the registry).
import type { Queryable } from '../platform/db/database.ts';
import { faultDefinition, faultDefinitions, validateFaultParams, type FaultDefinition } from './fault-registry.ts';
import { listActiveFaults, getActiveFault, storeFault, removeFault, type StoredFault } from './fault-store.ts';
import { FaultErrors } from './fault-errors.ts';
import './fault-catalog.ts'; // declares the faults

export interface FaultState {
  name: string;
  description: string;
  affects: string[];
  active: boolean;
  params: Record<string, unknown> | null;
  updatedAt: string | null;
  expiresAt: string | null;
  paramsSchema?: unknown;
}

function known(name: string): FaultDefinition {
  const def = faultDefinition(name);
  if (!def) throw FaultErrors.FAULT_UNKNOWN(`No fault named "${name}"; known faults: ${faultDefinitions().map((d) => d.name).join(', ')}.`);
  return def;
}

function stateOf(def: FaultDefinition, stored: StoredFault | undefined): FaultState {
  return {
    name: def.name, description: def.description, affects: def.affects, active: Boolean(stored),
    params: stored?.params ?? null, updatedAt: stored?.updatedAt ?? null, expiresAt: stored?.expiresAt ?? null,
  };
}

export async function listFaultStates(db: Queryable): Promise<FaultState[]> {
  const active = new Map((await listActiveFaults(db)).map((f) => [f.name, f]));
  return faultDefinitions().map((def) => stateOf(def, active.get(def.name)));
}

export async function getFaultState(db: Queryable, name: string, opts: { withSchema?: boolean } = {}): Promise<FaultState> {
  const def = known(name);
  const state = stateOf(def, await getActiveFault(db, name));
  return opts.withSchema ? { ...state, paramsSchema: JSON.parse(JSON.stringify(def.schema)) } : state;
}

export async function setFault(db: Queryable, name: string, params: unknown, ttlSeconds?: number): Promise<FaultState> {
  const def = known(name);
  const checked = validateFaultParams(def, params);
  if (!checked.ok) {
    throw FaultErrors.FAULT_PARAMS_INVALID(`Invalid parameters for ${name}: ${checked.problems.join('; ')}`, { problems: checked.problems });
  }
  return stateOf(def, await storeFault(db, name, checked.params, ttlSeconds));
}

export async function clearFault(db: Queryable, name: string): Promise<boolean> {
  known(name);
  return removeFault(db, name);
}
