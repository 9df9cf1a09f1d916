// Stripe's search query language, the subset PaymentIntents need: clauses `field:value` joined by AND or
// OR (not both), `-` negation, numeric comparisons (> < >= <=) on amount and created, quoted values with
// backslash escapes, and metadata['key']:'value' (exact match, case-insensitive, as on Stripe).
// The result is a SQL predicate with bind parameters, never interpolated text.
import { StripeErrors } from './stripe-errors.ts';

export interface SqlPredicate { sql: string; values: unknown[] }

type Op = ':' | '>' | '<' | '>=' | '<=';
interface Clause { negate: boolean; field: string; metadataKey?: string; op: Op; value: string | number | null }

const STRING_FIELDS = new Set(['status', 'currency', 'customer']);
const NUMBER_FIELDS = new Set(['amount', 'created']);
const MAX_CLAUSES = 10;

const fail = (message: string) => StripeErrors.invalidRequest(message, 'query');

function parse(q: string): { clauses: Clause[]; join: 'AND' | 'OR' } {
  let pos = 0;
  const ws = () => { while (pos < q.length && /\s/.test(q[pos]!)) pos++; };
  const quoted = (): string => {
    const quote = q[pos];
    if (quote !== "'" && quote !== '"') throw fail(`Expected a quoted value at position ${pos} of the query.`);
    pos++;
    let out = '';
    while (pos < q.length && q[pos] !== quote) {
      if (q[pos] === '\\' && pos + 1 < q.length) pos++;
      out += q[pos++];
    }
    if (q[pos] !== quote) throw fail('Unterminated string in the query.');
    pos++;
    return out;
  };
  const clauses: Clause[] = [];
  let join: 'AND' | 'OR' | undefined;
  ws();
  if (pos >= q.length) throw fail('The query is empty.');
  for (;;) {
    ws();
    const negate = q[pos] === '-';
    if (negate) pos++;
    let field: string;
    let metadataKey: string | undefined;
    if (q.startsWith('metadata[', pos)) {
      pos += 'metadata['.length;
      metadataKey = quoted();
      if (q[pos] !== ']') throw fail(`Expected "]" at position ${pos} of the query.`);
      pos++;
      field = 'metadata';
    } else {
      const m = /^[a-z_]+/.exec(q.slice(pos));
      if (!m) throw fail(`Unexpected character at position ${pos} of the query.`);
      field = m[0];
      pos += field.length;
      if (!STRING_FIELDS.has(field) && !NUMBER_FIELDS.has(field)) {
        throw fail(`Field '${field}' is an unsupported search field for resource payment_intents. See http://stripe.com/docs/search#query-fields-for-payment-intents for a list of supported fields.`);
      }
    }
    const opMatch = /^(>=|<=|:|>|<)/.exec(q.slice(pos));
    if (!opMatch) throw fail(`Expected an operator (: > < >= <=) at position ${pos} of the query.`);
    const op = opMatch[0] as Op;
    pos += op.length;
    let value: string | number | null;
    if (q[pos] === "'" || q[pos] === '"') {
      value = quoted();
    } else {
      const m = /^[^\s]+/.exec(q.slice(pos));
      if (!m) throw fail(`Expected a value at position ${pos} of the query.`);
      pos += m[0].length;
      if (m[0] === 'null') value = null;
      else if (/^-?\d+$/.test(m[0])) value = Number(m[0]);
      else throw fail(`String values must be quoted: ${m[0]}`);
    }
    if (NUMBER_FIELDS.has(field)) {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number') throw fail(`Field '${field}' takes a number.`);
      value = n;
    } else {
      if (op !== ':') throw fail(`Field '${field}' only supports the ':' operator.`);
      if (typeof value === 'number') value = String(value);
    }
    clauses.push({ negate, field, ...(metadataKey !== undefined ? { metadataKey } : {}), op, value });
    if (clauses.length > MAX_CLAUSES) throw fail(`A query can have at most ${MAX_CLAUSES} clauses.`);
    ws();
    if (pos >= q.length) break;
    const word = /^[A-Za-z]+/.exec(q.slice(pos))?.[0]?.toUpperCase();
    if (word !== 'AND' && word !== 'OR') throw fail(`Expected AND or OR at position ${pos} of the query.`);
    if (join && join !== word) throw fail('A query cannot combine AND and OR clauses.');
    join = word;
    pos += word.length;
    if (!/\s/.test(q[pos] ?? '')) throw fail(`Expected whitespace after ${word}.`);
  }
  return { clauses, join: join ?? 'AND' };
}

/** Parses the query into a predicate over psp.payment_intents; placeholders start at $firstIndex. */
export function paymentIntentSearchPredicate(query: string, firstIndex: number): SqlPredicate {
  const { clauses, join } = parse(query);
  const values: unknown[] = [];
  const bind = (v: unknown) => { values.push(v); return `$${firstIndex + values.length - 1}`; };
  const parts = clauses.map((c) => {
    let sql: string;
    if (c.field === 'metadata') {
      sql = c.value === null
        ? `(metadata->>${bind(c.metadataKey)}) IS NULL`
        : `lower(metadata->>${bind(c.metadataKey)}) = lower(${bind(c.value)})`;
    } else if (c.field === 'customer') {
      sql = c.value === null ? 'TRUE' : 'FALSE'; // the simulator has no customers
    } else if (STRING_FIELDS.has(c.field)) {
      sql = c.value === null ? 'FALSE' : `lower(${c.field}) = lower(${bind(c.value)})`;
    } else {
      const op = c.op === ':' ? '=' : c.op;
      sql = `${c.field} ${op} ${bind(c.value)}::bigint`;
    }
    return c.negate ? `NOT (${sql})` : `(${sql})`;
  });
  return { sql: parts.join(` ${join} `), values };
}
