// The order process as an explicit state machine. Every status change goes through canTransition();
// the transitions table below is the whole truth about which moves exist.

export const ORDER_STATUSES = ['pending_payment', 'paid', 'payment_failed', 'canceled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_payment: ['paid', 'payment_failed', 'canceled'],
  paid: ['refunded'],
  // A declined order keeps its items until the payment deadline: the shopper may pay it again with
  // another card (back to pending_payment, see payAgainRefusal), else it is canceled at the deadline.
  payment_failed: ['pending_payment', 'canceled'],
  canceled: [],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return ORDER_TRANSITIONS[status].length === 0;
}

export function isOrderStatus(s: string): s is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(s);
}

/** Why an order cannot be paid again with another card right now. */
export type PayAgainRefusal = 'not_declined' | 'deadline_passed' | 'attempts_exhausted';

/** What paying a declined order again is bounded by (the payments context sets them: payAgainLimits()). */
export interface PayAgainLimits {
  /** How many times one order may be paid again with another payment method. */
  maxRetries: number;
  /** A retry needs at least this many seconds before the payment deadline to be worked before it. */
  minSecondsLeft: number;
}

/** What the guard judges: the order's payment deadline and how many times it was paid again already. */
export interface PayAgainFacts {
  itemsHeld: boolean;
  /** Seconds until the payment deadline (negative once passed; null: the order holds no reservations). */
  secondsLeft: number | null;
  retries: number;
}

/**
 * The guard of payment_failed -> pending_payment, in one place for the API, the order page and the
 * payment service: only a declined order whose items are still held, with at least minSecondsLeft before
 * its payment deadline, and paid again fewer than maxRetries times, can be paid again. A declined order
 * past (or too close to) its deadline, and an order canceled after it, get 'deadline_passed'; one tried
 * maxRetries times gets 'attempts_exhausted'; any other order (paid, being paid, canceled earlier,
 * refunded) gets 'not_declined'.
 */
export function payAgainRefusal(status: OrderStatus, facts: PayAgainFacts, limits: PayAgainLimits): PayAgainRefusal | undefined {
  const { secondsLeft } = facts;
  if (status === 'payment_failed') {
    if (!facts.itemsHeld || secondsLeft === null || secondsLeft < limits.minSecondsLeft) return 'deadline_passed';
    return facts.retries >= limits.maxRetries ? 'attempts_exhausted' : undefined;
  }
  if (status === 'canceled' && secondsLeft !== null && secondsLeft <= 0) return 'deadline_passed';
  return 'not_declined';
}
