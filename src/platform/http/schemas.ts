// Schemas shared by routes of several contexts.
import { Type } from 'typebox';

export const MoneySchema = Type.Object({
  amount: Type.Integer({ description: 'Minor units (cents)' }),
  currency: Type.String({ description: 'ISO 4217 code' }),
}, { $id: undefined });

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export const UuidSchema = Type.String({ format: 'uuid', maxLength: 36 });

/** A provider payment method id (checkout, paying a declined order again). */
export const PaymentMethodIdSchema = Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,100}$', description: 'Provider payment method id, e.g. pm_card_visa' });

/** Standard error responses for OpenAPI. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}
