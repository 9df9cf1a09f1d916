// Fault injection use cases: list, inspect, set and clear faults (validated against the registry).
import type pg from 'pg';
import { withTransaction, type Queryable } from '../platform/db/database.ts';
import { recordChange } from '../changes/index.ts';
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

/** Who set or cleared a fault, as the change event records it (the serving roles' name). */
export interface FaultChangeSource { source: string }

const describeParams = (params: Record<string, unknown>): string =>
  Object.entries(params).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');

/** Sets a fault and records the change event in the same transaction: no fault without its change. */
export async function setFault(pool: pg.Pool, name: string, params: unknown, ttlSeconds: number | undefined, by: FaultChangeSource): Promise<FaultState> {
  const def = known(name);
  const checked = validateFaultParams(def, params);
  if (!checked.ok) {
    throw FaultErrors.FAULT_PARAMS_INVALID(`Invalid parameters for ${name}: ${checked.problems.join('; ')}`, { problems: checked.problems });
  }
  const stored = await withTransaction(pool, async (client) => {
    const fault = await storeFault(client, name, checked.params, ttlSeconds);
    const described = describeParams(fault.params);
    await recordChange(client, {
      kind: 'fault.set', subject: name, source: by.source,
      summary: `fault ${name} set${described ? ` (${described})` : ''}${fault.expiresAt ? `, until ${fault.expiresAt}` : ''}`,
      details: { params: fault.params, expiresAt: fault.expiresAt },
    });
    return fault;
  });
  return stateOf(def, stored);
}

/** Clears a fault; a fault that was active gets its change event in the same transaction. */
export async function clearFault(pool: pg.Pool, name: string, by: FaultChangeSource): Promise<boolean> {
  known(name);
  return withTransaction(pool, async (client) => {
    const removed = await removeFault(client, name);
    if (removed) await recordChange(client, { kind: 'fault.cleared', subject: name, source: by.source, summary: `fault ${name} cleared` });
    return removed;
  });
}
