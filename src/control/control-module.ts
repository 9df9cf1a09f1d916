// The `control` module: the metrics collector, detector, SLO alerts, root-cause analysis and the OTLP span
// receiver, with their ops API. The SLO file is read and checked before anything starts: a bad one is a
// ConfigError listing its problems.
import { defineModule } from '../platform/modules/module-manager.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { controlSettings, type ControlConfig, type ControlSettings } from './control-config.ts';
import { ControlPlane } from './control-plane.ts';
import { controlRoutes } from './control-routes.ts';

export const controlModule = defineModule({
  name: 'control',
  deps: { http: httpServerModule, adminToken: adminTokenModule },
  config: (c: ControlConfig) => ({ controlScrapeTargets: c.controlScrapeTargets, sloFile: c.sloFile }),
  /** settings: overrides of the control role's built-in settings (tests: a short window, small thresholds). */
  options: { settings: {} as Partial<ControlSettings> },
  check: ({ config, options }) => controlSettings(config, options.settings),
  init: ({ deps, runtime, checked: settings }) => {
    const plane = new ControlPlane(settings, runtime.logger.child({ component: 'control' }));
    controlRoutes(deps.http.server, plane, deps.adminToken.sha256);
    return {
      service: plane,
      start: async () => { plane.start(); },
      stop: async () => { await plane.stop(); },
    };
  },
});
