// JSON logs (pino) with secrets redacted wherever they might appear.
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'authorization', 'adminToken', 'accessToken', 'password', 'secretKey', 'apiKey',
  'databaseUrl', 'connectionString', '*.accessToken', '*.adminToken', '*.password', '*.secretKey', '*.databaseUrl',
];

export function createLogger(opts: { level: string; service: string; destination?: pino.DestinationStream }): Logger {
  return pino({
    level: opts.level,
    base: { service: opts.service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, opts.destination);
}
