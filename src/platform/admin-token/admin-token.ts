// The admin token: HOLDFAST_ADMIN_TOKEN when set; otherwise one is generated on first start, printed once,
// written to <dataDir>/admin-token (mode 0600), and only its hash is kept in the database so every role
// and replica agrees on it.
import { randomBytes } from 'node:crypto';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { query, type NamedQuery, type Queryable } from '../db/database.ts';
import { adminTokenDigest } from '../http/admin-auth.ts';
import { loadClientConfig } from '../config/platform-config.ts';
import { shopUrl } from '../config/shop-url.ts';

const Q = {
  get: { name: 'settings.admin_token_get', text: `SELECT value FROM settings WHERE key = 'admin_token_sha256'` },
  // Only the first process to generate one wins: a concurrent start finds no row returned and reads theirs.
  insert: {
    name: 'settings.admin_token_insert',
    text: `INSERT INTO settings (key, value) VALUES ('admin_token_sha256', $1) ON CONFLICT (key) DO NOTHING RETURNING value`,
  },
} satisfies Record<string, NamedQuery>;

export interface AdminTokenResolution { sha256: string; generated?: string; file?: string }

export async function resolveAdminToken(db: Queryable, configured: string | undefined, dataDir: string): Promise<AdminTokenResolution> {
  if (configured) return { sha256: adminTokenDigest(configured) };
  const existing = await query<{ value: string }>(db, Q.get);
  if (existing.rows[0]) return { sha256: existing.rows[0].value };
  const token = `hf_admin_${randomBytes(24).toString('base64url')}`;
  const inserted = await query<{ value: string }>(db, Q.insert, [adminTokenDigest(token)]);
  if (!inserted.rows[0]) {
    // Another process generated one at the same moment: use theirs.
    const again = await query<{ value: string }>(db, Q.get);
    return { sha256: again.rows[0]!.value };
  }
  const file = path.resolve(dataDir, 'admin-token');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { sha256: adminTokenDigest(token), generated: token, file };
}

/**
 * The admin token as a client on this machine finds it (the CLI): the configured one, else the file the
 * shop wrote in its data dir on first start.
 */
export async function readAdminToken(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new Error(`no admin token: set HOLDFAST_ADMIN_TOKEN, or start the shop once so that ${file} exists (HOLDFAST_DATA_DIR)`);
  }
}

/**
 * Where a command that talks to a running shop finds it and how it proves it is the operator: the shop as
 * `holdfast start` serves it under the same configuration (HOLDFAST_URL, else HOST and PORT) and the admin
 * token (HOLDFAST_ADMIN_TOKEN, else the data dir's). Throws with the reason when either is missing.
 */
export async function shopAdminAccess(env: NodeJS.ProcessEnv = process.env): Promise<{ baseUrl: string; token: string }> {
  const config = loadClientConfig(env);
  return { baseUrl: shopUrl(config, env), token: await readAdminToken(config.adminToken, config.dataDir) };
}
