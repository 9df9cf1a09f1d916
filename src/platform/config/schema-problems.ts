// Every problem of a value against a TypeBox schema, each named by its place in the value as a person
// writes it (`paymentProviders[0].name`, `[2].latency.objective`) and said plainly, with the value found.
// The configuration and the files it names (the control role's SLO file) are checked with it, so that a
// bad value stops start-up with all of its problems listed at once; so are fault parameters.
import type { TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';

export interface SchemaProblem {
  /** The place as property names and indexes ([] for the value itself). */
  segments: string[];
  /** The same place as written in a file: `paymentProviders[0].name`, `[2].latency.objective` ('' for the value itself). */
  at: string;
  /** What is wrong, with the value found when it is a plain value (a string, number, boolean or null). */
  message: string;
}

type SchemaError = ReturnType<typeof Value.Errors>[number];

export interface SchemaProblemOptions {
  /** Places whose value must never be echoed (tokens, keys, passwords): shown as [redacted]. */
  isSecret?: (segments: readonly string[]) => boolean;
}

/** `["paymentProviders", "0", "name"]` -> `paymentProviders[0].name`. */
function place(segments: readonly string[]): string {
  return segments.map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : `${i ? '.' : ''}${seg}`)).join('');
}

/**
 * A failed union (anyOf) reports the errors of every branch. In a union told apart by a constant property
 * (`source.kind` is "http" or "payment-jobs"), only the branch whose constant matched has something to
 * say: keep its errors. When no branch's constant matched, one problem says which values it may take.
 */
function narrowUnions(errors: SchemaError[]): SchemaError[] {
  let out = errors;
  for (const union of errors) {
    if (union.keyword !== 'anyOf' || !out.includes(union)) continue;
    // The union's branches' errors: under its schema path and its place in the value (one schema can
    // fail at many places: every element of a list).
    const prefix = `${union.schemaPath}/anyOf/`;
    const inside = (e: SchemaError) => e.schemaPath.startsWith(prefix) && (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`));
    const branchOf = (e: SchemaError) => (inside(e) ? e.schemaPath.slice(prefix.length).split('/')[0] : undefined);
    const branches = new Set(out.map(branchOf).filter((b) => b !== undefined));
    // A constant on one of the branch's own properties, or the branch itself a constant (a union of
    // literals: `429 | 500 | 503`), that did not match rules the branch out.
    const mismatches = out.filter((e) => e.keyword === 'const' && inside(e) && /^\d+(\/properties\/[^/]+)?$/.test(e.schemaPath.slice(prefix.length)));
    const ruledOut = new Set(mismatches.map(branchOf));
    if (ruledOut.size === 0) continue;
    if (ruledOut.size < branches.size) {
      out = out.filter((e) => e !== union && !ruledOut.has(branchOf(e)));
    } else if (new Set(mismatches.map((e) => e.instancePath)).size === 1) {
      const allowedValues = mismatches.map((e) => (e.params as { allowedValue: unknown }).allowedValue);
      const oneOf: SchemaError = { ...mismatches[0]!, keyword: 'enum', schemaPath: union.schemaPath, params: { allowedValues } };
      out = out.flatMap((e) => (e === union ? [oneOf] : branchOf(e) === undefined ? [e] : []));
    }
  }
  return out;
}

function describe(error: SchemaError): string {
  const params = error.params as { additionalProperties?: string[]; allowedValues?: unknown[]; allowedValue?: unknown };
  switch (error.keyword) {
    case 'additionalProperties': {
      const names = params.additionalProperties ?? [];
      return `unknown key${names.length === 1 ? '' : 's'} ${names.map((n) => JSON.stringify(n)).join(', ')}`;
    }
    case 'enum': return `must be one of ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return `must be ${JSON.stringify(params.allowedValue)}`;
    default: return error.message;
  }
}

/** Every problem of `value` against `schema` (none: the value is valid). */
export function schemaProblems(schema: TSchema, value: unknown, opts: SchemaProblemOptions = {}): SchemaProblem[] {
  // TypeBox stops gathering errors at Settings.maxErrors (8 by default); here every one is wanted.
  const cap = Settings.Get().maxErrors;
  let errors: SchemaError[];
  Settings.Set({ maxErrors: Number.MAX_SAFE_INTEGER });
  try {
    errors = Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: cap });
  }
  const problems = new Map<string, SchemaProblem>();
  for (const error of narrowUnions(errors)) {
    // An unknown key is reported twice ("schema is false" on the key, and on its parent): keep the parent's.
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) continue;
    const segments = error.instancePath.split('/').slice(1).map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'));
    // The value found, when it is a plain value: an object or a list is described by the message (and
    // could hold a secret under a key the place does not name).
    let found: unknown = value;
    for (const seg of segments) found = found !== null && typeof found === 'object' && Object.hasOwn(found, seg) ? (found as Record<string, unknown>)[seg] : undefined;
    const plain = found === null || ['string', 'number', 'boolean'].includes(typeof found);
    const shown = !plain || error.keyword === 'additionalProperties' ? '' : opts.isSecret?.(segments) ? ', got [redacted]' : `, got ${JSON.stringify(found)}`;
    const problem = { segments, at: place(segments), message: `${describe(error)}${shown}` };
    problems.set(`${problem.at}\u0000${problem.message}`, problem);
  }
  return [...problems.values()];
}
