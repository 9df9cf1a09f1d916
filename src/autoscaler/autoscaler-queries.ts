import type { NamedQuery } from '../platform/db/database.ts';

export const AutoscalerQueries = {
  maxConnections: { name: 'autoscaler.max_connections', text: `SELECT current_setting('max_connections')::int AS n` },
} satisfies Record<string, NamedQuery>;
