// The `incidents` module (control role): alerts of the control plane become incidents (IncidentResponder),
// the outbox's delivery loop pages the configured channels as the escalation policy says
// (NotificationDeliverer), and the ops API serves incidents and takes Alertmanager's alerts. The policy
// file and the channels' settings are checked before anything starts: a bad one is a ConfigError.
// Detection never waits here: an alert is handed over and applied in order on its own chain, and
// delivery runs in its own lanes, one per channel.
import { defineModule } from '../platform/modules/module-manager.ts';
import { ConfigError, sliceOf } from '../platform/config/config.ts';
import type { ServerConfig } from '../platform/config/platform-config.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { controlModule, type Alert, type RcaFinding } from '../control/index.ts';
import { configuredChannelNames, consoleBaseUrl, incidentsConfig, incidentsConfigProblems, type IncidentsConfig } from './incidents-config.ts';
import { configuredEscalationPolicy } from './escalation.ts';
import { createConfiguredChannels } from './channels/configured-channels.ts';
import { acceptsOf, NotificationDeliverer, type RetryBackoff } from './outbox.ts';
import { IncidentResponder, type AlertSignal } from './incident-responder.ts';
import { incidentRoutes } from './incident-routes.ts';
import { recordIncidentWorstStatuses, saveSloBurns } from './status-page-store.ts';
import { StatusPageService } from './status-page-service.ts';
import { statusRoutes } from './status-routes.ts';
import { statusOpsRoutes } from './status-ops-routes.ts';

/** PagerDuty's payload.source and the alerts' source for the control plane's alerts. */
const CONTROL_SOURCE = 'holdfast control';
/** How often open incidents left without alerts (a control restart) are looked for. */
const SWEEP_EVERY_MS = 30_000;

/** How often the control role writes its SLO burns for the status page. */
const BURNS_EVERY_MS = 3000;

/** What the control plane's alert says, as the incidents take it. */
export function signalOfAlert(alert: Alert, change: 'firing' | 'resolved', finding?: RcaFinding): AlertSignal {
  return {
    key: alert.id, name: alert.name, state: change, component: alert.service,
    severity: alert.severity === 'page' ? 'critical' : 'warning',
    summary: alert.summary, rootCause: alert.rootCause, cause: finding?.causes[0]?.candidate ?? null, source: CONTROL_SOURCE,
    at: change === 'resolved' && alert.resolvedAt ? Date.parse(alert.resolvedAt) : Date.parse(alert.since),
    details: { signal: alert.signal, ...(finding ? { rcaId: finding.id, confidence: finding.confidence } : {}) },
  };
}

export const incidentsModule = defineModule({
  name: 'incidents',
  deps: { database: databaseModule, migrations: migrationsModule, http: httpServerModule, adminToken: adminTokenModule, control: controlModule },
  config: (c: IncidentsConfig & Pick<ServerConfig, 'host' | 'port'>) => ({ ...sliceOf(incidentsConfig, c), host: c.host, port: c.port }),
  /** tests: the delivery loop's poll interval and retry backoff */
  options: { pollMs: 500, backoff: undefined as RetryBackoff | undefined },
  check: ({ config }) => {
    const problems = incidentsConfigProblems(config);
    if (problems.length) throw new ConfigError(problems);
    return { policy: configuredEscalationPolicy(config, configuredChannelNames(config)) };
  },
  init: ({ config, deps, runtime, checked, options }) => {
    const { pool } = deps.database;
    const logger = runtime.logger.child({ component: 'incidents' });
    const channels = createConfiguredChannels(config);
    const deliverer = new NotificationDeliverer({
      pool, channels, consoleBaseUrl: consoleBaseUrl(config), pollMs: options.pollMs,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onError: (err, task) => logger.warn({ err, task }, 'incident notification pass failed; retrying'),
    });
    const responder = new IncidentResponder({ pool, policy: checked.policy, accepts: acceptsOf(channels), wake: () => deliverer.wake(), logger });
    const plane = deps.control;
    const findings = new Map<string, RcaFinding>();
    const onAlert = (alert: Alert, change: 'firing' | 'resolved') => {
      if (change === 'resolved') responder.submit(signalOfAlert(alert, change));
      // a firing alert is handed over with its finding, which the control plane attaches right after it fires
      else queueMicrotask(() => responder.submit(signalOfAlert(alert, change, alert.rcaId ? findings.get(alert.rcaId) : undefined)));
    };
    const onFinding = (finding: RcaFinding, alert: Alert) => {
      findings.set(finding.id, finding);
      if (findings.size > 100) findings.delete(findings.keys().next().value!);
      if (alert.state === 'firing') responder.submit(signalOfAlert(alert, 'firing', finding));
    };
    incidentRoutes(deps.http.server, responder, deps.adminToken.sha256, plane.collector.window);
    statusOpsRoutes(deps.http.server, { pool, adminTokenSha256: deps.adminToken.sha256, source: `operator via ${runtime.serviceName}` });
    let burns: NodeJS.Timeout | undefined;
    let sweep: NodeJS.Timeout | undefined;
    let burnsFailing = false;
    const writeBurns = () => {
      const now = Date.now();
      const burnsNow = plane.sloBurns(now);
      saveSloBurns(pool, burnsNow, now).then(() => recordIncidentWorstStatuses(pool, burnsNow)).then(() => { burnsFailing = false; }, (err) => {
        if (!burnsFailing) logger.warn({ err }, 'could not write the SLO burns (and the incidents\' worst states) for the status page; retrying');
        burnsFailing = true;
      });
    };
    logger.info({ channels: channels.map((c) => c.name), policy: checked.policy }, 'incident channels and escalation policy');
    return {
      service: responder,
      start: async () => {
        plane.on('alert', onAlert);
        plane.on('rca', onFinding);
        deliverer.start();
        burns = setInterval(writeBurns, BURNS_EVERY_MS);
        burns.unref();
        // this control role's alerts start afresh: those of a previous one will never resolve by themselves
        responder.submitDetectorRestart(CONTROL_SOURCE);
        sweep = setInterval(() => {
          responder.sweepQuietIncidents().catch((err) => logger.warn({ err }, 'could not resolve incidents left without alerts; retrying'));
        }, SWEEP_EVERY_MS);
        sweep.unref();
      },
      stop: async () => {
        if (burns) clearInterval(burns);
        if (sweep) clearInterval(sweep);
        responder.stop();
        plane.off('alert', onAlert);
        plane.off('rca', onFinding);
        await responder.idle();
        await deliverer.stop();
        await Promise.all(channels.map((c) => c.close?.()));
      },
    };
  },
});

/**
 * The `status-page` module (the storefront role, where shoppers are): GET /status and GET /api/status, and
 * the banner the storefront's pages show while checkout or payments are not operational.
 */
export const statusPageModule = defineModule({
  name: 'status-page',
  deps: { database: databaseModule, migrations: migrationsModule, http: httpServerModule },
  init: ({ deps, runtime }) => {
    const status = new StatusPageService({ pool: deps.database.pool, logger: runtime.logger.child({ component: 'status-page' }) });
    statusRoutes(deps.http.server, status);
    return {
      service: status,
      start: async () => { status.start(); },
      stop: async () => { status.stop(); },
    };
  },
});
