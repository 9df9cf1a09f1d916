// Stripe's test PaymentMethods (https://docs.stripe.com/testing): the tokens a test-mode integration
// passes as payment_method, the card each stands for, and the outcome of charging it. Confirming with a
// token attaches a fresh PaymentMethod (pm_...) cloned from it, as Stripe does.

export type CardOutcome =
  | { kind: 'success' }
  | { kind: 'decline'; code: string; declineCode?: string; message: string; param?: string };

export interface TestCard {
  brand: 'visa' | 'mastercard' | 'amex' | 'discover';
  last4: string;
  funding: 'credit' | 'debit' | 'prepaid';
  outcome: CardOutcome;
}

const ok: CardOutcome = { kind: 'success' };
const declined = (declineCode: string, message = 'Your card was declined.'): CardOutcome =>
  ({ kind: 'decline', code: 'card_declined', declineCode, message });

const cards: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', funding: 'credit', outcome: ok },
  pm_card_visa_debit: { brand: 'visa', last4: '5556', funding: 'debit', outcome: ok },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', funding: 'credit', outcome: ok },
  pm_card_mastercard_debit: { brand: 'mastercard', last4: '8210', funding: 'debit', outcome: ok },
  pm_card_mastercard_prepaid: { brand: 'mastercard', last4: '5100', funding: 'prepaid', outcome: ok },
  pm_card_amex: { brand: 'amex', last4: '8431', funding: 'credit', outcome: ok },
  pm_card_discover: { brand: 'discover', last4: '1117', funding: 'credit', outcome: ok },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', funding: 'credit', outcome: declined('generic_decline') },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', funding: 'credit', outcome: declined('insufficient_funds', 'Your card has insufficient funds.') },
  pm_card_chargeDeclinedLostCard: { brand: 'visa', last4: '9987', funding: 'credit', outcome: declined('lost_card') },
  pm_card_chargeDeclinedStolenCard: { brand: 'visa', last4: '9979', funding: 'credit', outcome: declined('stolen_card') },
  pm_card_chargeDeclinedFraudulent: { brand: 'visa', last4: '0019', funding: 'credit', outcome: declined('fraudulent') },
  // Stripe's testing table lists no decline_code for these three: the error code says it all.
  pm_card_chargeDeclinedExpiredCard: { brand: 'visa', last4: '0069', funding: 'credit', outcome: { kind: 'decline', code: 'expired_card', message: 'Your card has expired.', param: 'exp_month' } },
  pm_card_chargeDeclinedIncorrectCvc: { brand: 'visa', last4: '0127', funding: 'credit', outcome: { kind: 'decline', code: 'incorrect_cvc', message: "Your card's security code is incorrect.", param: 'cvc' } },
  pm_card_chargeDeclinedProcessingError: { brand: 'visa', last4: '0119', funding: 'credit', outcome: { kind: 'decline', code: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' } },
};

// Stripe also names the decline tokens after the brand (pm_card_visa_chargeDeclined...).
for (const [name, card] of Object.entries({ ...cards })) {
  if (name.startsWith('pm_card_chargeDeclined')) cards[name.replace('pm_card_', 'pm_card_visa_')] = card;
}

export function testCard(token: string): TestCard | undefined {
  return Object.hasOwn(cards, token) ? cards[token] : undefined;
}

export function testCardTokens(): string[] {
  return Object.keys(cards).sort();
}
