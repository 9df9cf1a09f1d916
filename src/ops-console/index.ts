// Public surface of the ops console (/ops, control role): sign-in sessions, the live overview, alerts,
// incidents, faults. See docs/ops-console.md.
export { opsConsoleModule, opsConsoleMigrations } from './ops-console-module.ts';
export { opsConsoleConfig, type OpsConsoleConfig } from './ops-console-config.ts';
export { OpsConsoleErrors } from './ops-console-errors.ts';
export { SESSION_COOKIE, SIGN_IN_COOKIE } from './console-routes.ts';
