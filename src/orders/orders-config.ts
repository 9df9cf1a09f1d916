// The orders' settings: how long an unpaid order holds its items (its payment deadline), which checkout
// writes with the order's reservations and the payment workers enforce.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const ordersConfig = defineConfigSlice({
  reservationTtlSeconds: Type.Integer({ description: 'Payment deadline: unpaid orders are canceled and their stock released after this', default: 900, minimum: 10 }),
}, {
  HOLDFAST_RESERVATION_TTL_SECONDS: 'reservationTtlSeconds',
});

export type OrdersConfig = SliceConfig<typeof ordersConfig>;
