// The `migrations` module: applies the migrations of every context's folder (the composition root passes
// them) under an advisory lock before any module that uses the tables is initialised.
import { defineModule } from '../modules/module-manager.ts';
import { databaseModule } from './database-module.ts';
import { migrate } from './migrate.ts';

export const migrationsModule = defineModule({
  name: 'migrations',
  deps: { database: databaseModule },
  /** folders: every folder of numbered migrations, from every context that owns tables. */
  options: { folders: [] as readonly string[] },
  init: async ({ deps, runtime, options }) => {
    if (!options.folders.length) throw new Error('the migrations module was given no migration folders');
    const result = await migrate(deps.database.pool, options.folders);
    if (result.applied.length) runtime.logger.info({ applied: result.applied }, 'migrations applied');
    return { service: result };
  },
});
