// The `faults` module: the cached fault reader every injecting role depends on (ctx.faults).
import type { ModuleDefinition } from '../platform/modules/module-manager.ts';
import type { AppContext } from '../app/holdfast-modules.ts';
import { createFaultReader } from './fault-reader.ts';
import { purgeExpiredFaults } from './fault-store.ts';
import { dbSlowInterceptor } from './fault-effects.ts';
import { setQueryInterceptor } from '../platform/db/database.ts';

export function faultsModule(): ModuleDefinition<AppContext> {
  return {
    name: 'faults',
    dependsOn: ['migrations'],
    init: (ctx) => {
      const reader = createFaultReader({
        pool: ctx.pool!, databaseUrl: ctx.databaseUrl, refreshMs: ctx.config.faultRefreshMs,
        logger: ctx.logger.child({ component: 'faults' }),
      });
      ctx.faults = reader;
      let purge: NodeJS.Timeout | undefined;
      return {
        start: async () => {
          await reader.start();
          setQueryInterceptor(dbSlowInterceptor(reader));
          purge = setInterval(() => { purgeExpiredFaults(ctx.pool!).catch(() => {}); }, 60_000);
          purge.unref();
        },
        stop: async () => {
          if (purge) clearInterval(purge);
          setQueryInterceptor(undefined);
          await reader.stop();
        },
      };
    },
  };
}
