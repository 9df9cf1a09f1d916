// Reconciliation: compares the order ledger with each provider's list of payment intents and repairs or
// flags every difference: a charge without a payable order (refunded), a second charge for one order
// (refunded), a paid order the provider has no charge for (flagged), an amount mismatch (flagged).
import type pg from 'pg';
import { query } from '../platform/db/database.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { PaymentQueries as Q } from './payment-queries.ts';
import type { PaymentIntent } from './stripe-client.ts';
import type { ProviderRouter, PaymentProvider } from './provider-router.ts';

export interface ReconciliationFinding {
  kind: 'charge_without_order' | 'order_without_charge' | 'amount_mismatch' | 'duplicate_charge';
  provider: string; orderId: string | null; intentId: string | null; action: 'refunded' | 'flagged';
  details: Record<string, unknown>;
}

export interface ReconciliationReport {
  providers: { name: string; intents: number; succeeded: number; error?: string }[];
  ordersChecked: number;
  findings: ReconciliationFinding[];
}

interface OrderLedgerRow {
  order_id: string; status: string; total_amount: number; attempt_id: string | null; attempt_status: string | null;
  provider: string | null; provider_intent_id: string | null; refunded: boolean;
}

async function refund(provider: PaymentProvider, intent: PaymentIntent, reason: string): Promise<string> {
  const r = await provider.resilience.execute('create_refund', (signal) => provider.client.refund({
    paymentIntent: intent.id, idempotencyKey: `hf_reconcile_refund_${intent.id}`, metadata: { reason }, signal,
  }));
  return r.id;
}

export async function reconcile(pool: pg.Pool, router: ProviderRouter, logger: Pick<Logger, 'warn'>, opts: { sinceHours: number }): Promise<ReconciliationReport> {
  const since = Math.floor(Date.now() / 1000) - opts.sinceHours * 3600;
  const report: ReconciliationReport = { providers: [], ordersChecked: 0, findings: [] };
  const { rows: ledger } = await query<OrderLedgerRow>(pool, Q.reconciliationLedger, [since]);
  const byOrder = new Map<string, OrderLedgerRow[]>();
  for (const r of ledger) byOrder.set(r.order_id, [...(byOrder.get(r.order_id) ?? []), r]);
  report.ordersChecked = byOrder.size;

  for (const provider of router.providers) {
    let intents: PaymentIntent[];
    try {
      intents = await provider.resilience.execute('list_payment_intents', (signal) => provider.client.listAll({ createdGte: since, signal }), { timeoutMs: 30_000 });
    } catch (err) {
      report.providers.push({ name: provider.name, intents: 0, succeeded: 0, error: (err as Error).message });
      continue;
    }
    const succeeded = intents.filter((i) => i.status === 'succeeded' && i.metadata?.order_id);
    report.providers.push({ name: provider.name, intents: intents.length, succeeded: succeeded.length });
    const seenIntentIds = new Set(succeeded.map((i) => i.id));

    for (const intent of succeeded) {
      const orderId = intent.metadata.order_id!;
      const rows = byOrder.get(orderId);
      const attempt = rows?.find((r) => r.attempt_id === intent.metadata.attempt_id || r.provider_intent_id === intent.id);
      const order = rows?.[0];
      const recordedWinner = rows?.find((r) => r.attempt_status === 'succeeded');
      if (attempt?.attempt_status === 'pending' || attempt?.attempt_status === 'in_doubt') continue; // the worker is resolving it
      if (attempt?.refunded) continue;
      let kind: ReconciliationFinding['kind'] | undefined;
      if (!order) kind = 'charge_without_order';
      else if (order.status === 'canceled' || order.status === 'payment_failed') kind = 'charge_without_order';
      else if (recordedWinner && recordedWinner.provider_intent_id !== intent.id) kind = 'duplicate_charge';
      if (kind) {
        let action: ReconciliationFinding['action'] = 'flagged';
        const details: Record<string, unknown> = { amount: intent.amount, orderStatus: order?.status ?? null };
        try {
          details.refundId = await refund(provider, intent, kind);
          action = 'refunded';
        } catch (err) {
          details.refundError = (err as Error).message;
        }
        report.findings.push({ kind, provider: provider.name, orderId: order ? orderId : null, intentId: intent.id, action, details });
      } else if (order && intent.amount !== order.total_amount) {
        report.findings.push({ kind: 'amount_mismatch', provider: provider.name, orderId, intentId: intent.id, action: 'flagged', details: { charged: intent.amount, orderTotal: order.total_amount } });
      }
    }

    for (const rows of byOrder.values()) {
      const winner = rows.find((r) => r.attempt_status === 'succeeded' && r.provider === provider.name);
      if (winner && (winner.status === 'paid' || winner.status === 'refunded') && winner.provider_intent_id && !seenIntentIds.has(winner.provider_intent_id)) {
        // Refunded intents keep status succeeded at the provider, so a missing id is a real gap.
        report.findings.push({ kind: 'order_without_charge', provider: provider.name, orderId: winner.order_id, intentId: winner.provider_intent_id, action: 'flagged', details: { orderStatus: winner.status } });
      }
    }
  }

  for (const f of report.findings) {
    await query(pool, Q.insertFinding, [f.kind, f.provider, f.orderId, f.intentId, JSON.stringify(f.details), f.action]);
    logger.warn({ finding: f }, `reconciliation: ${f.kind} (${f.action})`);
  }
  return report;
}

export async function listFindings(pool: pg.Pool, limit = 100) {
  const { rows } = await query(pool, Q.findings, [limit]);
  return rows as { id: number; kind: string; provider: string; orderId: string | null; intentId: string | null; details: unknown; action: string; createdAt: Date }[];
}
