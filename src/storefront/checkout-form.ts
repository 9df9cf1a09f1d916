// The checkout form's fields: one TypeBox schema (validated on the route), the labels and hints the view
// shows, and the friendly per-field messages shown when validation fails. Forms post flat
// application/x-www-form-urlencoded fields, so every value is a string here.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { CheckoutRequest } from '../checkout/index.ts';

const required = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });

export const CheckoutFormSchema = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  name: required(200),
  line1: required(200),
  line2: Type.Optional(Type.String({ maxLength: 200 })),
  city: required(100),
  region: Type.Optional(Type.String({ maxLength: 100 })),
  postalCode: required(20),
  country: Type.String({ pattern: '^[A-Z]{2}$' }),
  paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,100}$' }),
  idempotencyKey: Type.String({ pattern: '^[\\x21-\\x7e]{1,255}$' }),
}, { additionalProperties: false });

export type CheckoutForm = Static<typeof CheckoutFormSchema>;
export type CheckoutField = keyof CheckoutForm;

/** What a shopper is told when a field is wrong, whatever the exact rule it broke. */
export const FIELD_MESSAGES: Record<CheckoutField, string> = {
  email: 'Enter an email address, like name@example.com.',
  name: 'Enter the name of the person receiving the parcel.',
  line1: 'Enter the street address.',
  line2: 'The second address line is too long (200 characters at most).',
  city: 'Enter the town or city.',
  region: 'The state or region is too long (100 characters at most).',
  postalCode: 'Enter the postal code (20 characters at most).',
  country: 'Choose a country from the list.',
  paymentMethod: 'Choose a payment method.',
  idempotencyKey: 'This form has expired; please submit it again.',
};

export const COUNTRIES: readonly [code: string, name: string][] = [
  ['US', 'United States'], ['CA', 'Canada'], ['GB', 'United Kingdom'], ['IE', 'Ireland'], ['DE', 'Germany'],
  ['FR', 'France'], ['NL', 'Netherlands'], ['BE', 'Belgium'], ['ES', 'Spain'], ['IT', 'Italy'], ['AT', 'Austria'],
  ['CH', 'Switzerland'], ['DK', 'Denmark'], ['SE', 'Sweden'], ['NO', 'Norway'], ['FI', 'Finland'], ['PL', 'Poland'],
  ['PT', 'Portugal'], ['AU', 'Australia'], ['NZ', 'New Zealand'], ['JP', 'Japan'],
];

/** Stripe's test payment methods, which the payment provider simulator understands. */
export const PAYMENT_METHODS: readonly [id: string, label: string][] = [
  ['pm_card_visa', 'Test card: Visa (payment succeeds)'],
  ['pm_card_chargeDeclined', 'Test card: declined'],
  ['pm_card_chargeDeclinedInsufficientFunds', 'Test card: declined, insufficient funds'],
];

/** A form field's name: only FIELD_MESSAGES' own keys (`in` would also accept constructor, toString, __proto__). */
const isCheckoutField = (name: string): name is CheckoutField => Object.hasOwn(FIELD_MESSAGES, name);

/** Every broken field at once (Ajv on the route stops at the first), each with its friendly message. */
export function checkoutFieldErrors(body: unknown): Partial<Record<CheckoutField, string>> {
  const errors: Partial<Record<CheckoutField, string>> = {};
  const value = body && typeof body === 'object' ? body : {};
  for (const error of Value.Errors(CheckoutFormSchema, value)) {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
    const fields = error.instancePath ? [error.instancePath.slice(1).split('/')[0]!] : missing;
    for (const field of fields) {
      if (isCheckoutField(field)) errors[field] ??= FIELD_MESSAGES[field];
    }
  }
  return errors;
}

/** The submitted values as strings, for re-rendering the form; anything odd (arrays, objects) is dropped. */
export function submittedValues(body: unknown): Partial<Record<CheckoutField, string>> {
  const values: Partial<Record<CheckoutField, string>> = {};
  if (!body || typeof body !== 'object') return values;
  for (const [key, value] of Object.entries(body)) {
    if (isCheckoutField(key) && typeof value === 'string') values[key] = value.slice(0, 300);
  }
  return values;
}

export function toCheckoutRequest(cartId: string, form: CheckoutForm): CheckoutRequest {
  const optional = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const line2 = optional(form.line2);
  const region = optional(form.region);
  return {
    cartId,
    email: form.email.trim(),
    paymentMethod: form.paymentMethod,
    shippingAddress: {
      name: form.name.trim(), line1: form.line1.trim(), city: form.city.trim(), postalCode: form.postalCode.trim(),
      country: form.country, ...(line2 ? { line2 } : {}), ...(region ? { region } : {}),
    },
  };
}
