// Every fault Holdfast can inject, by name. Add one by declaring it here: name, what it does, and the
// TypeBox schema of its parameters (which is the admin API's validator, the type the injecting code
// reads, and the documentation at once). docs/psp-simulator.md describes the psp.* faults.
import { Type } from 'typebox';
import { defineFault, type FaultParamsOf } from './fault-registry.ts';

/** Simulator accounts a psp.* fault can target; omitted means every account. */
export const PSP_ACCOUNT_NAMES = ['primary', 'secondary'] as const;
const PspAccount = Type.Optional(Type.Enum(PSP_ACCOUNT_NAMES, { description: 'Simulator account to affect (default: all)' }));
const Rate = Type.Number({ minimum: 0, maximum: 1, description: 'Share of requests affected, 0..1' });
const Phase = Type.Optional(Type.Enum(['before', 'after'], {
  description: "'before' (default): the request is not processed. 'after': it is processed (a charge is made) and then the response is lost",
}));

export const FAULTS = {
  'psp.latency': defineFault({
    name: 'psp.latency',
    description: 'Adds latency (plus uniform random jitter) to every simulator API request before it is processed.',
    affects: ['psp'],
    schema: Type.Object({
      latencyMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
      jitterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
      account: PspAccount,
    }, { additionalProperties: false }),
  }),
  'psp.errors': defineFault({
    name: 'psp.errors',
    description: 'A share of simulator API requests fail with a Stripe api_error (HTTP 500/503 by default).',
    affects: ['psp'],
    schema: Type.Object({
      rate: Rate,
      statuses: Type.Optional(Type.Array(Type.Union([Type.Literal(429), Type.Literal(500), Type.Literal(502), Type.Literal(503), Type.Literal(504)]), { minItems: 1, maxItems: 5 })),
      phase: Phase,
      account: PspAccount,
    }, { additionalProperties: false }),
  }),
  'psp.timeout': defineFault({
    name: 'psp.timeout',
    description: 'A share of simulator API requests are never answered: the connection is held until the client gives up or the fault is cleared.',
    affects: ['psp'],
    schema: Type.Object({ rate: Rate, phase: Phase, account: PspAccount }, { additionalProperties: false }),
  }),
  'psp.down': defineFault({
    name: 'psp.down',
    description: 'The simulator stops listening: new connections are refused and open ones are closed, until cleared.',
    affects: ['psp'],
    schema: Type.Object({ account: PspAccount }, { additionalProperties: false }),
  }),
  'payments.cpu': defineFault({
    name: 'payments.cpu',
    description: 'Burns CPU (a busy loop on the event loop) for msPerJob before each payment job is processed.',
    affects: ['payments'],
    schema: Type.Object({ msPerJob: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
  }),
  'db.slow': defineFault({
    name: 'db.slow',
    description: "Named queries of one bounded context (the query name's prefix, e.g. 'cart' or 'checkout') first run pg_sleep on the same connection: slow queries that also hold their transaction's locks longer.",
    affects: ['storefront', 'payments'],
    schema: Type.Object({
      context: Type.String({ pattern: '^[a-z][a-z0-9_-]*$', description: "Query name prefix before the first '.', e.g. 'cart', 'checkout', 'catalog', 'payments'" }),
      delayMs: Type.Integer({ minimum: 1, maximum: 60_000 }),
      rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of matching queries slowed (default 1)' })),
    }, { additionalProperties: false }),
  }),
  'storefront.cpu': defineFault({
    name: 'storefront.cpu',
    description: 'Burns CPU (a busy loop on the event loop) for msPerRequest in every shopper-facing storefront request.',
    affects: ['storefront'],
    schema: Type.Object({ msPerRequest: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
  }),
  'storefront.latency': defineFault({
    name: 'storefront.latency',
    description: 'Delays every shopper-facing storefront request by latencyMs (plus uniform jitter) without using CPU.',
    affects: ['storefront'],
    schema: Type.Object({
      latencyMs: Type.Integer({ minimum: 1, maximum: 600_000 }),
      jitterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    }, { additionalProperties: false }),
  }),
  'network.latency': defineFault({
    name: 'network.latency',
    description: 'Delays TCP traffic between two roles by delayMs each way, in a local proxy in the path (payments -> provider; the payments role starts it when networkFaultProxy is on (HOLDFAST_NETWORK_FAULT_PROXY=1)).',
    affects: ['payments'],
    schema: Type.Object({
      between: Type.Enum(['payments-provider'], { description: 'The link to delay' }),
      delayMs: Type.Integer({ minimum: 1, maximum: 60_000 }),
    }, { additionalProperties: false }),
  }),
};

export type FaultName = keyof typeof FAULTS;
export type FaultParams<N extends FaultName> = FaultParamsOf<(typeof FAULTS)[N]>;
export type PspAccountName = (typeof PSP_ACCOUNT_NAMES)[number];
