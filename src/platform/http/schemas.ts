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

/** Standard error responses for OpenAPI. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}
