// The `psp` module: the payment provider simulator's accounts (primary on pspPort, secondary on
// pspSecondaryPort or pspPort + 1), each its own HTTP server over one shared ledger pool, following the
// faults in ctx.faults. Exposes the bound URLs as ctx.pspUrls.
import type { ModuleDefinition } from '../platform/modules/module-manager.ts';
import type { AppContext } from '../app/holdfast-modules.ts';
import type { PspConfig } from './psp-config.ts';
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

export function pspModule(): ModuleDefinition<AppContext> {
  return {
    name: 'psp',
    dependsOn: ['migrations', 'faults'],
    init: async (ctx) => {
      const pool = createPool(ctx.databaseUrl!, ctx.config.pspDbPoolMax, 'holdfast-psp');
      registerPoolMetrics('psp', pool);
      const servers: PspServer[] = [];
      for (const a of pspAccountsFromConfig(ctx.config)) {
        servers.push(await createPspServer({
          account: { name: a.name, accountId: a.accountId, secretKey: a.secretKey },
          pool, faults: ctx.faults, logger: ctx.logger, host: ctx.config.host, port: a.port,
          readinessTimeoutMs: ctx.config.readinessTimeoutMs,
        }));
      }
      let purge: NodeJS.Timeout | undefined;
      const started: PspServer[] = [];
      const stopAll = async () => {
        if (purge) clearInterval(purge);
        await Promise.allSettled(started.map((s) => s.stop()));
        await pool.end();
      };
      return {
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
          ctx.pspUrls = Object.fromEntries(servers.map((s) => [s.account.name, s.url]));
          // What an in-process payments role connects to (priority order: primary first).
          ctx.pspAccounts = simulatorClientAccounts(ctx.config, ctx.pspUrls);
          ctx.pspServers = servers;
          purge = setInterval(() => {
            purgeIdempotencyKeys(pool).catch((err) => ctx.logger.warn({ err }, 'psp: purging old idempotency keys failed'));
          }, 3_600_000);
          purge.unref();
        },
        stop: stopAll,
      };
    },
  };
}
