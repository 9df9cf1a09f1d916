// The `psp` module: the payment provider simulator's accounts (primary on pspPort, secondary on
// pspSecondaryPort or pspPort + 1), each its own HTTP server over one shared ledger pool, following the
// injected faults. Its service gives the URLs the accounts are bound to (once started), for a payments
// role in the same process.
import { defineModule } from '../platform/modules/module-manager.ts';
import { sliceOf } from '../platform/config/config.ts';
import type { ServerConfig } from '../platform/config/platform-config.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { faultsModule } from '../faults/index.ts';
import { pspConfig, type PspConfig } from './psp-config.ts';
import { createPool } from '../platform/db/database.ts';
import { registerPoolMetrics } from '../platform/observability/metrics.ts';
import { createPspServer, type PspServer } from './psp-server.ts';
import { purgeIdempotencyKeys } from './psp-idempotency.ts';
import type { PspAccount } from './psp-service.ts';

export const PSP_ACCOUNT_IDS = { primary: 'acct_holdfast_primary', secondary: 'acct_holdfast_secondary' } as const;

export interface PspAccountEndpoint extends PspAccount { port: number }

/** The simulator accounts the config asks for, with the ports they should listen on. */
export function pspAccountsFromConfig(config: PspConfig): PspAccountEndpoint[] {
  const accounts: PspAccountEndpoint[] = [
    { name: 'primary', accountId: PSP_ACCOUNT_IDS.primary, secretKey: config.pspPrimarySecretKey, port: config.pspPort },
  ];
  if (config.pspSecondaryEnabled) {
    const port = config.pspSecondaryPort ?? (config.pspPort === 0 ? 0 : config.pspPort + 1);
    accounts.push({ name: 'secondary', accountId: PSP_ACCOUNT_IDS.secondary, secretKey: config.pspSecondarySecretKey, port });
  }
  if (accounts.length === 2 && accounts[0]!.secretKey === accounts[1]!.secretKey) {
    throw new Error('pspPrimarySecretKey and pspSecondarySecretKey must differ: each simulator account has its own key');
  }
  return accounts;
}

/** How a payments process reaches a simulator account: its base URL and secret key (a provider account). */
export interface SimulatorClientAccount { name: string; baseUrl: string; secretKey: string }

/**
 * The simulator accounts as a payments process reaches them, in priority order (primary first): the same
 * accounts, ports and secret keys the psp role serves (pspAccountsFromConfig), at the URLs an in-process
 * psp role bound (`bound`, by account name) or else on loopback at the configured ports, for a
 * payments-only process beside a psp process.
 */
export function simulatorClientAccounts(config: PspConfig, bound: Readonly<Record<string, string>> = {}): SimulatorClientAccount[] {
  return pspAccountsFromConfig(config).map((a) => ({
    name: a.name, baseUrl: bound[a.name] ?? `http://127.0.0.1:${a.port}`, secretKey: a.secretKey,
  }));
}

export interface PspService {
  /** The simulator's HTTP servers, one per account. */
  servers: readonly PspServer[];
  /** Bound URL of each account, by name (primary, secondary); empty until the module has started. */
  urls(): Readonly<Record<string, string>>;
  /** The accounts as a payments role in this process connects to them (priority order: primary first). */
  clientAccounts(): SimulatorClientAccount[];
}

export const pspModule = defineModule({
  name: 'psp',
  deps: { database: databaseModule, migrations: migrationsModule, faults: faultsModule },
  config: (c: PspConfig & Pick<ServerConfig, 'host' | 'readinessTimeoutMs'>) => ({ ...sliceOf(pspConfig, c), host: c.host, readinessTimeoutMs: c.readinessTimeoutMs }),
  init: async ({ config, deps, runtime }) => {
    const pool = createPool(deps.database.url, config.pspDbPoolMax, 'holdfast-psp');
    registerPoolMetrics('psp', pool);
    const servers: PspServer[] = [];
    for (const a of pspAccountsFromConfig(config)) {
      servers.push(await createPspServer({
        account: { name: a.name, accountId: a.accountId, secretKey: a.secretKey },
        pool, faults: deps.faults, logger: runtime.logger, host: config.host, port: a.port,
        readinessTimeoutMs: config.readinessTimeoutMs,
      }));
    }
    let purge: NodeJS.Timeout | undefined;
    let urls: Record<string, string> = {};
    const started: PspServer[] = [];
    const stopAll = async () => {
      if (purge) clearInterval(purge);
      await Promise.allSettled(started.map((s) => s.stop()));
      await pool.end();
    };
    const service: PspService = {
      servers,
      urls: () => urls,
      clientAccounts: () => simulatorClientAccounts(config, urls),
    };
    return {
      service,
      start: async () => {
        try {
          for (const s of servers) {
            await s.start();
            started.push(s);
          }
        } catch (err) {
          await stopAll();
          throw err;
        }
        urls = Object.fromEntries(servers.map((s) => [s.account.name, s.url]));
        purge = setInterval(() => {
          purgeIdempotencyKeys(pool).catch((err) => runtime.logger.warn({ err }, 'psp: purging old idempotency keys failed'));
        }, 3_600_000);
        purge.unref();
      },
      stop: stopAll,
    };
  },
});
