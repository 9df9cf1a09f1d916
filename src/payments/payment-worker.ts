// The payments role: workers that take payment jobs from the durable queue and settle orders, plus the
// role's housekeeping (unpaid-order deadline, reconciliation) and queue metrics.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Job, JobQueue } from '../platform/queue/job-queue.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { PAYMENT_QUEUE, type PaymentJob } from './payment-jobs.ts';
import { processPaymentJob, cancelOrdersPastDeadline, releaseLapsedLeases, RetryLater, type PaymentDeps } from './payment-service.ts';
import type { ProviderRouter } from './provider-router.ts';
import { reconcile } from './reconciliation.ts';
import { paymentConcurrencyFor, type ConcurrencyBounds } from './payment-concurrency.ts';
import { paymentJobDuration, watchPaymentQueue } from './payment-metrics.ts';
import { traceJob } from '../platform/observability/tracing.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import { waitForDatabase } from '../platform/db/database.ts';
import { isDatabaseUnavailable } from '../platform/db/database-errors.ts';

export interface PaymentWorkerOptions {
  /** Jobs at once: the base, grown with the provider's latency up to the bulkhead (payment-concurrency.ts). */
  concurrency: ConcurrencyBounds;
  /** How often the worker loops are matched to the provider's latency. */
  adaptEveryMs?: number;
  leaseSeconds: number;
  resolveTimeoutMs: number;
  deadlineSeconds: number;
  reconcileIntervalSeconds: number;
  /** Runs before each job inside its timing (fault injection: payments.cpu). */
  beforeJob?: () => void;
}

export function startPaymentWorkers(pool: pg.Pool, queue: JobQueue, router: ProviderRouter, logger: Logger, opts: PaymentWorkerOptions) {
  watchPaymentQueue(queue);
  const deps: PaymentDeps = {
    pool, router, logger, leaseSeconds: opts.leaseSeconds, resolveTimeoutMs: opts.resolveTimeoutMs,
    workerId: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
  };
  let stopped = false;
  // A job that fails because the database went away is worked again once it answers, within half the
  // order's lease: the delivery and the lease are still this worker's, while a failure handed back to the
  // queue now could not be recorded either (and the job would wait out its expiry).
  const throughDatabaseOutage = async <T>(work: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + opts.leaseSeconds * 500;
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (stopped || !isDatabaseUnavailable(err) || !(await waitForDatabase(pool, { deadline, stopped: () => stopped }))) throw err;
      }
    }
  };
  const handler = async (job: Job<PaymentJob>) => {
    const end = paymentJobDuration.startTimer();
    try {
      opts.beforeJob?.();
      const result = await traceJob(`${PAYMENT_QUEUE} process`, job.data.traceparent,
        { 'messaging.system': 'pg-boss', 'messaging.destination.name': PAYMENT_QUEUE, 'messaging.message.id': job.id, 'holdfast.order_id': job.data.orderId },
        () => throughDatabaseOutage(() => processPaymentJob(deps, job.data.orderId)));
      end({ result });
    } catch (err) {
      end({ result: err instanceof RetryLater ? 'retry_later' : 'error' });
      if (err instanceof RetryLater) logger.info({ orderId: job.data.orderId, reason: err.message }, 'payment will be retried');
      else logger.error({ err, orderId: job.data.orderId }, 'payment job failed');
      throw err; // the queue retries it (then dead-letters it after the retry limit)
    }
  };
  // One worker loop per job at once; their number follows the provider's latency (loops are added, or
  // stopped one by one after their job in hand).
  const loops: string[] = [];
  let resizing: Promise<void> = Promise.resolve();
  const resize = (wanted: number) => {
    resizing = resizing.then(async () => {
      const before = loops.length;
      while (!stopped && loops.length < wanted) loops.push(await queue.work<PaymentJob>(PAYMENT_QUEUE, { pollingIntervalSeconds: 0.5 }, handler));
      while (!stopped && loops.length > wanted) await queue.offWorker(PAYMENT_QUEUE, loops.pop()!);
      if (before > 0 && loops.length !== before) logger.info({ from: before, to: loops.length, providerLatencyMs: Math.round(providerLatencyMs(router) ?? 0) }, 'payment concurrency follows the provider latency');
    });
    return resizing;
  };
  const ready = resize(paymentConcurrencyFor(undefined, opts.concurrency));
  const adapt = setInterval(() => {
    if (stopped) return;
    const wanted = paymentConcurrencyFor(providerLatencyMs(router), opts.concurrency);
    if (wanted !== loops.length) resize(wanted).catch((err) => logger.warn({ err }, 'could not resize the payment workers; will retry'));
  }, opts.adaptEveryMs ?? 2000);
  adapt.unref();

  const housekeepingFailures = new FailureRun(logger, 'payments housekeeping');
  let housekeepingRunning = false;
  let lastReconcile = Date.now();
  const housekeeping = setInterval(() => {
    if (housekeepingRunning || stopped) return;
    housekeepingRunning = true;
    (async () => {
      const canceled = await cancelOrdersPastDeadline(pool, opts.deadlineSeconds, logger);
      if (canceled) logger.info({ canceled }, 'canceled orders still unpaid after the payment deadline');
      if (opts.reconcileIntervalSeconds > 0 && Date.now() - lastReconcile > opts.reconcileIntervalSeconds * 1000) {
        lastReconcile = Date.now();
        const report = await reconcile(pool, router, logger, { sinceHours: 48 });
        if (report.findings.length) logger.warn({ findings: report.findings.length }, 'reconciliation found differences');
      }
    })().then(() => housekeepingFailures.succeeded(), (err) => housekeepingFailures.failed(err)).finally(() => { housekeepingRunning = false; });
  }, 5000);
  housekeeping.unref();

  // A worker that dies mid-payment leaves its order's lease to lapse (within leaseSeconds) while its job
  // stays active until pg-boss notices the missing heartbeat (up to heartbeatSeconds). Every second, the
  // orders whose lease lapsed get their job retried now; the heartbeat stays the backstop (a worker that
  // died before taking the lease leaves no lease to lapse).
  let recovering = false;
  const recovery = setInterval(() => {
    if (recovering || stopped) return;
    recovering = true;
    (async () => {
      for (const orderId of await releaseLapsedLeases(pool)) {
        const retried = await queue.retryActiveNow(PAYMENT_QUEUE, orderId, 'the worker holding the order stopped renewing its lease');
        // No active job: the worker ended its job without releasing the lease (a database error then).
        if (retried) logger.warn({ orderId }, 'payment lease lapsed: its worker is gone; its payment job is retried now');
      }
    })().catch((err) => logger.warn({ err }, 'payment lease recovery failed; will retry')).finally(() => { recovering = false; });
  }, 1000);
  recovery.unref();

  return {
    ready,
    stop: async () => {
      stopped = true;
      clearInterval(housekeeping);
      clearInterval(recovery);
      clearInterval(adapt);
      await ready.catch(() => {});
      await resizing.catch(() => {});
      await queue.offWork(PAYMENT_QUEUE);
      watchPaymentQueue(undefined);
    },
  };
}

/** The latency of the provider new payments go to (the router's pick), else of the slowest that answered. */
function providerLatencyMs(router: ProviderRouter): number | undefined {
  const picked = router.pick()?.resilience.latencyMs;
  if (picked !== undefined) return picked;
  const known = router.providers.map((p) => p.resilience.latencyMs).filter((l): l is number => l !== undefined);
  return known.length ? Math.max(...known) : undefined;
}
