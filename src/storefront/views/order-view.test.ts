// The declined order's page says honestly what the shopper can still do: pay with another card (by
// when, how many more cards), or why not (too late, or as many cards tried as one order allows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Order } from '../../orders/index.ts';
import { orderView } from './order-view.ts';

const limits = { maxRetries: 5, minSecondsLeft: 30 };
const form = { idempotencyKey: '00000000-0000-4000-8000-000000000000' };
const clock = (iso: string) => `<time datetime="${iso}" data-format="time">${iso.slice(11, 16)} UTC</time>`;

function declined(secondsLeft: number, retries: number): Order {
  const money = { amount: 2500, currency: 'USD' };
  return {
    id: '7f1e0c3a-0000-4000-8000-000000000001', number: 7, status: 'payment_failed', email: 'ada@example.com',
    shippingAddress: { name: 'Ada', line1: '1 Row', city: 'London', postalCode: 'N1', country: 'GB' },
    paymentMethod: 'pm_card_chargeDeclined', subtotal: money, total: money,
    lines: [{ productId: 'p', sku: 'SKU-1', title: 'Lantern', unitPrice: money, quantity: 1, lineTotal: money }],
    createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
    lastPaymentError: { code: 'card_declined', message: 'Your card was declined.' },
    paymentDeadline: new Date(Date.now() + secondsLeft * 1000).toISOString(), paymentRetries: retries,
  };
}

test('a declined order that can be paid again: held until the deadline, pay before it closes, cards left, the form', () => {
  const order = declined(600, 1);
  const page = orderView(order, form, limits);
  const closes = new Date(Date.parse(order.paymentDeadline!) - 30_000).toISOString();
  assert.ok(page.includes(`Your card was declined. Your items are held until ${clock(order.paymentDeadline!)}; pay with another card before ${clock(closes)}.`), page);
  assert.match(page, /4 more cards can be tried on this order\./);
  assert.match(page, /<form method="post" action="\/orders\/[^"]+\/payment"/);
  assert.match(orderView(declined(600, 4), form, limits), /One more card can be tried on this order\./);
});

test('a declined order tried with as many cards as allowed: says so, no form', () => {
  const order = declined(600, 5);
  const page = orderView(order, form, limits);
  assert.ok(page.includes(`This order has been tried with 6 cards, the most one order can be, so it cannot be paid with another card. Nothing was charged; the items are released at ${clock(order.paymentDeadline!)}. To buy them, place a new order.`), page);
  assert.doesNotMatch(page, /<form method="post"/);
});

test('a declined order too close to its deadline, and past it: no form, and what happens to the items', () => {
  const closing = declined(20, 0);
  const page = orderView(closing, form, limits);
  assert.ok(page.includes(`The time to pay with another card is over; the items are released at ${clock(closing.paymentDeadline!)}. Nothing was charged.`), page);
  assert.doesNotMatch(page, /<form method="post"/);
  const passed = orderView(declined(-5, 0), form, limits);
  assert.match(passed, /The time to pay with another card has passed, so the items were released\. Nothing was charged\./);
  assert.doesNotMatch(passed, /<form method="post"/);
});
