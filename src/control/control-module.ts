// The `control` module: the metrics collector, detector, SLO alerts and root-cause analysis (ctx.control).
import type { ModuleDefinition } from '../platform/modules/module-manager.ts';
import type { AppContext } from '../app/holdfast-modules.ts';
import { controlSettings, type ControlSettings } from './control-config.ts';
import { ControlPlane } from './control-plane.ts';
import { controlRoutes } from './control-routes.ts';

export function controlModule(): ModuleDefinition<AppContext> {
  let settings: ControlSettings | undefined;
  return {
    name: 'control',
    dependsOn: ['http-server'],
    // The SLO file is read and checked before anything starts: a bad one is a ConfigError listing its problems.
    check: (ctx) => { settings = controlSettings(ctx.config, ctx.controlSettings); },
    init: (ctx) => {
      const plane = new ControlPlane(settings ?? controlSettings(ctx.config, ctx.controlSettings), ctx.logger.child({ component: 'control' }));
      ctx.control = plane;
      controlRoutes(ctx.server!, plane, ctx.adminTokenSha256!);
      return {
        start: async () => { plane.start(); },
        stop: async () => { await plane.stop(); },
      };
    },
  };
}
