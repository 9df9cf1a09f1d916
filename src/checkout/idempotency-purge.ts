// Checkout's housekeeping: idempotency records are kept 24 hours (like Stripe's) and purged about once an
// hour by every process that takes checkouts. A purge that fails (the database away) is tried again at
// the next tick, not an hour later.
import type pg from 'pg';
import type { Logger } from '../platform/observability/logger.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import { purgeIdempotencyRecords } from './checkout-service.ts';

/** Old idempotency records are purged about once an hour. */
const PURGE_EVERY_MS = 3_600_000;

export function startIdempotencyPurge(pool: pg.Pool, logger: Logger, everyMs = 5000): { stop(): void } {
  const failures = new FailureRun(logger, 'checkout housekeeping');
  let running = false;
  let lastPurge = 0;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (Date.now() - lastPurge > PURGE_EVERY_MS) {
        await purgeIdempotencyRecords(pool);
        // Only a purge that happened counts: a failed one (the database away) is tried again next tick.
        lastPurge = Date.now();
        failures.succeeded();
      }
    } catch (err) {
      failures.failed(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
