// Where the CLI's client commands (holdfast faults, holdfast loadtest) find a running shop: HOLDFAST_URL
// when set, else the host and port `holdfast start` listens on under the same configuration (PORT, HOST,
// HOLDFAST_CONFIG), so a shop started with `PORT=4000 npm start` is found with PORT=4000 alone.
import type { ServerConfig } from './platform-config.ts';

/** Listening on every interface: a client on this machine connects through loopback. */
const ANY_ADDRESS = new Map([['0.0.0.0', '127.0.0.1'], ['::', '::1'], ['[::]', '::1']]);

export function shopUrl(config: Pick<ServerConfig, 'host' | 'port'>, env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOLDFAST_URL) return env.HOLDFAST_URL.replace(/\/+$/, '');
  if (config.port === 0) throw new Error('PORT=0 lets the shop pick a free port: set HOLDFAST_URL to the URL it printed');
  const host = ANY_ADDRESS.get(config.host) ?? config.host;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.port}`;
}
