// `holdfast faults list | get <name> | set <name> '<json>' [--ttl <seconds>] | clear <name>`: talks to a
// running shop over its admin API, found as `holdfast start` serves it under the same configuration
// (HOLDFAST_URL, else HOST and PORT), with the admin token from HOLDFAST_ADMIN_TOKEN or
// <HOLDFAST_DATA_DIR>/admin-token.
import { parseArgs } from 'node:util';
import { shopAdminAccess } from '../platform/admin-token/admin-token.ts';
import { STDIO, errorDetail, unreachable, type CliIo } from '../platform/cli/cli-io.ts';

export const FAULTS_USAGE = `usage:
  holdfast faults list                              every fault and whether it is active
  holdfast faults get <name>                        one fault, with its parameter schema
  holdfast faults set <name> ['<json>'] [--ttl S]   switch a fault on, e.g. set psp.latency '{"latencyMs":2000}'
  holdfast faults clear <name>                      switch a fault off
Environment: the shop's own (PORT, HOST, HOLDFAST_DATA_DIR, HOLDFAST_ADMIN_TOKEN); HOLDFAST_URL to reach it elsewhere.`;

const SUBCOMMANDS = new Set(['list', 'get', 'set', 'clear']);

/** Runs the command; returns the process exit code. */
export async function runFaultsCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = STDIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ttl: { type: 'string' }, json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n${FAULTS_USAGE}\n`);
    return 2;
  }
  const [sub, name, json] = parsed.positionals;
  // Usage first: a mistyped command needs no shop, token or configuration to be told so.
  if (!sub || !SUBCOMMANDS.has(sub) || (sub !== 'list' && !name)) {
    io.err(`${FAULTS_USAGE}\n`);
    return 2;
  }
  let base: string;
  let token: string;
  try {
    ({ baseUrl: base, token } = await shopAdminAccess(env));
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  const call = async (method: string, p: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new Error(unreachable(base, err));
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${errorDetail(text)}`);
    return text ? JSON.parse(text) as Record<string, any> : undefined;
  };
  const describe = (f: Record<string, any>) => `${String(f.name).padEnd(16)} ${f.active ? `ON  ${JSON.stringify(f.params)}${f.expiresAt ? ` (until ${f.expiresAt})` : ''}` : 'off'}`;
  try {
    switch (sub) {
      case 'list': {
        const data = await call('GET', '/api/admin/faults');
        if (parsed.values.json) io.out(`${JSON.stringify(data, null, 2)}\n`);
        else for (const f of data!.items) io.out(`${describe(f)}\n`);
        return 0;
      }
      case 'get': {
        if (!name) break;
        io.out(`${JSON.stringify(await call('GET', `/api/admin/faults/${encodeURIComponent(name)}`), null, 2)}\n`);
        return 0;
      }
      case 'set': {
        if (!name) break;
        let params: unknown = {};
        if (json !== undefined) {
          try { params = JSON.parse(json); } catch { io.err(`parameters must be JSON, e.g. '{"latencyMs":2000}'\n`); return 2; }
        }
        const ttl = parsed.values.ttl;
        if (ttl !== undefined && !/^\d+$/.test(ttl)) { io.err('--ttl must be a whole number of seconds\n'); return 2; }
        const data = await call('PUT', `/api/admin/faults/${encodeURIComponent(name)}${ttl ? `?ttlSeconds=${ttl}` : ''}`, params);
        io.out(`${describe(data!)}\n`);
        return 0;
      }
      case 'clear': {
        if (!name) break;
        await call('DELETE', `/api/admin/faults/${encodeURIComponent(name)}`);
        io.out(`${name.padEnd(16)} off\n`);
        return 0;
      }
      default:
        break;
    }
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
  io.err(`${FAULTS_USAGE}\n`);
  return 2;
}
