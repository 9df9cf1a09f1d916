// The `telemetry` module: the per-request metrics switch, and OpenTelemetry tracing (OTLP/HTTP export)
// when enabled. The database depends on it, and so every module: it starts first and stops last, so spans
// recorded while the other modules drain are still exported.
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { defineModule } from '../modules/module-manager.ts';
import { sliceOf } from '../config/config.ts';
import { telemetryConfig, type TelemetryConfig } from '../config/platform-config.ts';
import { metricsSettings } from './metrics.ts';
import { startTracing } from './tracing.ts';

export const telemetryModule = defineModule({
  name: 'telemetry',
  config: (c: TelemetryConfig) => sliceOf(telemetryConfig, c),
  /** spanExporter: where spans go instead of OTLP (tests pass an in-memory exporter). */
  options: { spanExporter: undefined as SpanExporter | undefined },
  init: ({ config, runtime, options }) => {
    metricsSettings.httpEnabled = config.metricsEnabled;
    metricsSettings.dbEnabled = config.metricsEnabled;
    if (!config.tracingEnabled) return { service: undefined };
    const tracing = startTracing({
      serviceName: runtime.serviceName, endpoint: config.otlpTracesEndpoint, exporter: options.spanExporter,
      sampleRatio: config.tracingSampleRatio, maxTracesPerSecond: config.tracingMaxTracesPerSecond, maxQueueSize: config.tracingMaxQueueSize,
    });
    if (!tracing) {
      runtime.logger.warn('tracingEnabled is set but otlpTracesEndpoint is not: tracing stays off');
      return { service: undefined };
    }
    runtime.logger.info({ endpoint: config.otlpTracesEndpoint, sampleRatio: config.tracingSampleRatio, maxTracesPerSecond: config.tracingMaxTracesPerSecond }, 'tracing on');
    return { service: undefined, stop: () => tracing.shutdown() };
  },
});
