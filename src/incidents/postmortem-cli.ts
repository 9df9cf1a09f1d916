// `holdfast postmortem <incident> [--format md|html] [--out <dir>]`: the postmortem draft of an incident,
// from the control role's ops API (GET /api/ops/incidents/:id/postmortem), which holds the metrics
// window the figures come from. Printed, or written to <dir> (Markdown with its SVG charts beside it, or
// one HTML file). The control role is found at HOLDFAST_CONTROL_URL, else where `holdfast start` serves
// under the same configuration (HOLDFAST_URL, HOST and PORT: the `all` target runs the control role too).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadClientConfig } from '../platform/config/platform-config.ts';
import { shopUrl } from '../platform/config/shop-url.ts';
import { readAdminToken } from '../platform/admin-token/admin-token.ts';
import { STDIO, errorDetail, unreachable, type CliIo } from '../platform/cli/cli-io.ts';

export const POSTMORTEM_USAGE = `usage: holdfast postmortem <incident-id> [--format md|html] [--out <dir>]
  prints the draft (Markdown by default); with --out, writes postmortem-<id>.md and its .svg charts (or .html) there
Environment: HOLDFAST_CONTROL_URL (the control role), else the shop's own (HOLDFAST_URL, PORT, HOST); the admin token
from HOLDFAST_ADMIN_TOKEN or HOLDFAST_DATA_DIR.`;

export async function runPostmortemCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = STDIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { format: { type: 'string', default: 'md' }, out: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${(err as Error).message}\n${POSTMORTEM_USAGE}\n`);
    return 2;
  }
  const [id, ...extra] = parsed.positionals;
  const format = parsed.values.format;
  if (!id || extra.length || (format !== 'md' && format !== 'html')) {
    io.err(`${POSTMORTEM_USAGE}\n`);
    return 2;
  }
  let base: string;
  let token: string;
  try {
    const config = loadClientConfig(env);
    base = env.HOLDFAST_CONTROL_URL ? env.HOLDFAST_CONTROL_URL.replace(/\/+$/, '') : shopUrl(config, env);
    token = await readAdminToken(config.adminToken, config.dataDir);
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  const asked = parsed.values.out && format === 'md' ? 'json' : format;
  const url = `${base}/api/ops/incidents/${encodeURIComponent(id)}/postmortem?format=${asked}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    io.err(`${unreachable(base, err)}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    io.err(`GET ${url}: HTTP ${res.status} ${errorDetail(text)}\n`);
    return 1;
  }
  const dir = parsed.values.out;
  if (!dir) {
    io.out(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  await mkdir(dir, { recursive: true });
  if (format === 'html') {
    const file = path.join(dir, `postmortem-${id}.html`);
    await writeFile(file, text);
    io.out(`${file}\n`);
    return 0;
  }
  const { markdown, charts } = JSON.parse(text) as { markdown: string; charts: { file: string; svg: string }[] };
  const file = path.join(dir, `postmortem-${id}.md`);
  await writeFile(file, markdown);
  for (const c of charts) await writeFile(path.join(dir, path.basename(c.file)), c.svg);
  io.out(`${[file, ...charts.map((c) => path.join(dir, path.basename(c.file)))].join('\n')}\n`);
  return 0;
}
