// The `admin-token` module: the hash of the admin token every role checks operator requests against
// (HOLDFAST_ADMIN_TOKEN, or one generated on first start, printed once and saved to the data dir).
import path from 'node:path';
import { defineModule } from '../modules/module-manager.ts';
import type { AdminTokenConfig, DatabaseConfig } from '../config/platform-config.ts';
import { databaseModule } from '../db/database-module.ts';
import { migrationsModule } from '../db/migrations-module.ts';
import { resolveAdminToken } from './admin-token.ts';

/** The migrations of the table the admin token's hash lives in (settings). */
export const adminTokenMigrations = path.join(import.meta.dirname, 'migrations');

export interface AdminTokenService {
  /** Hex SHA-256 of the admin token (the token itself is never stored). */
  sha256: string;
}

export const adminTokenModule = defineModule({
  name: 'admin-token',
  deps: { database: databaseModule, migrations: migrationsModule },
  config: (c: AdminTokenConfig & Pick<DatabaseConfig, 'dataDir'>) => ({ adminToken: c.adminToken, dataDir: c.dataDir }),
  init: async ({ config, deps }) => {
    const admin = await resolveAdminToken(deps.database.pool, config.adminToken, config.dataDir);
    if (admin.generated) {
      // Printed once, on purpose, to the terminal (not the JSON log): the operator needs it.
      process.stdout.write(`\nAdmin token (generated; also saved to ${admin.file}):\n  HOLDFAST_ADMIN_TOKEN=${admin.generated}\n\n`);
    }
    return { service: { sha256: admin.sha256 } satisfies AdminTokenService };
  },
});
