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
export type PayAgainRefusal = 'not_declined' | 'deadline_passed';

/**
 * The guard of payment_failed -> pending_payment, in one place for the API, the order page and the
 * payment service: only a declined order whose items are still held (until its payment deadline) can be
 * paid again. A declined order past its deadline, and an order canceled after it, get 'deadline_passed';
 * any other order (paid, being paid, canceled earlier, refunded) gets 'not_declined'.
 */
export function payAgainRefusal(
  status: OrderStatus, payment: { itemsHeld: boolean; deadlinePassed: boolean },
): PayAgainRefusal | undefined {
  if (status === 'payment_failed') return payment.itemsHeld && !payment.deadlinePassed ? undefined : 'deadline_passed';
  if (status === 'canceled' && payment.deadlinePassed) return 'deadline_passed';
  return 'not_declined';
}
