// The payments context's modules:
// - `payment-providers`: the process's provider accounts behind one ProviderRouter (breakers, bulkheads,
//   health), made on first use: the admin API and the workers of one process share it, so the admin API
//   shows what the workers see. With no accounts configured, the simulator's: the in-process psp role's
//   bound ports when it runs here, else its configured ports on loopback.
// - `payments-api`: refunds, cancellations, attempts, dead letters, reconciliation (admin) and paying a
//   declined order again (shopper).
// - `payments`: the payment workers, the unpaid-order deadline and reconciliation.
import { defineModule, optional } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import type { OrdersConfig } from '../orders/index.ts';
import { faultsModule, paymentJobFault, startDelayProxy, type DelayProxy } from '../faults/index.ts';
import { changesModule } from '../changes/index.ts';
import { pspModule, simulatorClientAccounts, type PspConfig, type SimulatorClientAccount } from '../psp/index.ts';
import type { PaymentsConfig } from './payments-config.ts';
import { ProviderRouter, type ProviderAccount, type ProviderSwitch } from './provider-router.ts';
import { DEFAULT_RESILIENCE } from './provider-resilience.ts';
import { startPaymentWorkers } from './payment-worker.ts';
import { paymentConcurrencyBounds } from './payment-concurrency.ts';
import { leaseSecondsFor } from './payment-service.ts';
import { paymentAdminRoutes } from './payment-routes.ts';
import { orderPaymentRoutes } from './order-payment-routes.ts';
import { payAgainLimits } from './payment-retry.ts';

/** The provider accounts payments uses: the configured ones, else the simulator's (in this process, or beside it on loopback). */
export function providerAccounts(
  config: Pick<PaymentsConfig, 'paymentProviders'> & PspConfig, inProcessSimulator?: SimulatorClientAccount[],
): ProviderAccount[] {
  if (config.paymentProviders.length > 0) return config.paymentProviders;
  return inProcessSimulator ?? simulatorClientAccounts(config);
}

export interface PaymentProviders {
  /** The process's provider router, made on first use. */
  router(): ProviderRouter;
  /**
   * With networkFaultProxy on, puts a local TCP proxy in the path of every plain-HTTP account (the
   * simulator) before the router is made: it delays traffic while the network.latency fault is set for
   * payments-provider, and only pipes otherwise. The workers ask for it when they start.
   */
  proxyForNetworkFaults(): Promise<void>;
}

type ProvidersConfig = Pick<PaymentsConfig, 'paymentProviders' | 'providerTimeoutMs' | 'providerMaxConcurrent'
  | 'providerBreakerHalfOpenAfterMs' | 'networkFaultProxy'> & PspConfig;

export const paymentProvidersModule = defineModule({
  name: 'payment-providers',
  deps: { faults: faultsModule, changes: changesModule, simulator: optional(pspModule) },
  config: (c: PaymentsConfig & PspConfig): ProvidersConfig => ({
    paymentProviders: c.paymentProviders, providerTimeoutMs: c.providerTimeoutMs,
    providerMaxConcurrent: c.providerMaxConcurrent, providerBreakerHalfOpenAfterMs: c.providerBreakerHalfOpenAfterMs,
    networkFaultProxy: c.networkFaultProxy, pspPort: c.pspPort, pspSecondaryEnabled: c.pspSecondaryEnabled,
    pspSecondaryPort: c.pspSecondaryPort, pspPrimarySecretKey: c.pspPrimarySecretKey, pspSecondarySecretKey: c.pspSecondarySecretKey,
    pspDbPoolMax: c.pspDbPoolMax,
  }),
  init: ({ config, deps, runtime }) => {
    let router: ProviderRouter | undefined;
    const proxies: DelayProxy[] = [];
    // Resolved when first needed, not at init: an in-process psp role has bound its ports by then.
    const accounts = () => providerAccounts(config, deps.simulator?.clientAccounts());
    // A failover is an automatic mitigation and a failback its end: both go to the change log (what a
    // game day's scorecard and an incident's timeline read), once per switch of this process's router.
    const recordSwitch = (s: ProviderSwitch) => {
      const summary = `payments ${s.back ? 'fail back' : 'fail over'} from ${s.from} to ${s.to}: ${s.reason}`;
      runtime.logger.warn({ from: s.from, to: s.to, reason: s.reason }, summary);
      void deps.changes.record({
        kind: s.back ? 'payments.failback' : 'payments.failover', subject: 'payment-provider', summary,
        details: { from: s.from, to: s.to, reason: s.reason, pid: process.pid },
      });
    };
    const make = (list: ProviderAccount[]) => new ProviderRouter(list, {
      ...DEFAULT_RESILIENCE,
      timeoutMs: config.providerTimeoutMs,
      maxConcurrent: config.providerMaxConcurrent, breakerHalfOpenAfterMs: config.providerBreakerHalfOpenAfterMs,
    }, runtime.logger, undefined, recordSwitch);
    const service: PaymentProviders = {
      router: () => (router ??= make(accounts())),
      proxyForNetworkFaults: async () => {
        // Opt-in: a proxy accepts the connection before it knows whether the provider will, so "connection
        // refused" (safe to fail over) would arrive as a reset (outcome unknown); only in a fault-injection
        // run is that price worth paying.
        if (!config.networkFaultProxy || router) return;
        const faults = deps.faults;
        const delay = () => {
          const f = faults.get('network.latency');
          return f && f.between === 'payments-provider' ? f.delayMs : 0;
        };
        const proxied = await Promise.all(accounts().map(async (a) => {
          if (!a.baseUrl.startsWith('http://')) return a;
          const proxy = await startDelayProxy(a.baseUrl, delay);
          proxies.push(proxy);
          return { ...a, baseUrl: proxy.url };
        }));
        router = make(proxied);
      },
    };
    return {
      service,
      stop: async () => {
        await router?.close();
        await Promise.all(proxies.map((p) => p.close()));
      },
    };
  },
});

export const paymentsApiModule = defineModule({
  name: 'payments-api',
  deps: { database: databaseModule, queue: queueModule, http: httpServerModule, adminToken: adminTokenModule, providers: paymentProvidersModule },
  config: (c: PaymentsConfig) => ({ paymentRetryMaxAttempts: c.paymentRetryMaxAttempts }),
  init: ({ config, deps }) => {
    const { pool } = deps.database;
    paymentAdminRoutes(deps.http.server, {
      pool, queue: deps.queue, adminTokenSha256: deps.adminToken.sha256, paymentRouter: () => deps.providers.router(),
    });
    orderPaymentRoutes(deps.http.server, { pool, queue: deps.queue, payAgain: payAgainLimits(config) });
    return { service: undefined };
  },
});

export const paymentWorkersModule = defineModule({
  name: 'payments',
  // The HTTP server: a payments process serves /healthz, /readyz and /metrics.
  deps: { database: databaseModule, queue: queueModule, http: httpServerModule, faults: faultsModule, providers: paymentProvidersModule },
  config: (c: PaymentsConfig & OrdersConfig) => ({
    paymentWorkerConcurrency: c.paymentWorkerConcurrency, paymentJobHeartbeatSeconds: c.paymentJobHeartbeatSeconds,
    concurrency: paymentConcurrencyBounds(c),
    providerTimeoutMs: c.providerTimeoutMs, reservationTtlSeconds: c.reservationTtlSeconds, reconcileIntervalSeconds: c.reconcileIntervalSeconds,
  }),
  init: ({ config, deps, runtime }) => {
    let workers: ReturnType<typeof startPaymentWorkers> | undefined;
    return {
      service: undefined,
      start: async () => {
        await deps.providers.proxyForNetworkFaults();
        const router = deps.providers.router();
        // The payment workers' own pool (a bulkhead): in a process that also serves the storefront, slow
        // payments cannot take the connections shoppers' requests need, nor be starved by them.
        workers = startPaymentWorkers(deps.database.rolePool('payments'), deps.queue, router, runtime.logger, {
          concurrency: config.concurrency,
          // Lapses before the queue can retry a dead worker's job, renewed while the worker lives.
          leaseSeconds: leaseSecondsFor(config.paymentJobHeartbeatSeconds),
          resolveTimeoutMs: Math.max(config.providerTimeoutMs * 4, 10_000),
          deadlineSeconds: config.reservationTtlSeconds,
          reconcileIntervalSeconds: config.reconcileIntervalSeconds,
          beforeJob: paymentJobFault(deps.faults),
        });
        await workers.ready;
        runtime.logger.info({ providers: router.status().map((p) => `${p.name}=${p.baseUrl}`), concurrency: config.concurrency.base, maxConcurrency: config.concurrency.max }, 'payment workers started');
      },
      stop: async () => { await workers?.stop(); },
    };
  },
});
