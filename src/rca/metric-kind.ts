// What a metric measures decides which way is bad: latency, CPU, memory and errors hurt when they rise,
// a success rate when it falls; traffic and opaque series can move either way. Names are matched by their
// words, never by a dataset's service names, so unknown datasets still get a sensible reading.

export type MetricKind =
  | 'latency'
  | 'client-latency'
  | 'errors'
  | 'success'
  | 'workload'
  | 'cpu'
  | 'memory'
  | 'disk'
  | 'network'
  | 'other';

/** Which change is bad: a rise, a fall, or either. */
export type BadDirection = 'up' | 'down' | 'both';

export interface MetricInfo {
  kind: MetricKind;
  bad: BadDirection;
  /** a value bounded to 0..1 (success rate, utilisation), so a change has an absolute meaning */
  ratio: boolean;
  /** a short label for the evidence text, e.g. "latency-90" */
  label: string;
}

const words = (metric: string) => metric.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

export function classifyMetric(metric: string): MetricInfo {
  const name = metric.toLowerCase();
  const w = words(metric);
  const has = (...xs: string[]) => xs.some((x) => w.includes(x));
  const util = has('util', 'utilization', 'utilisation', 'percent', 'pct', 'ratio');
  if ((has('client') || name.startsWith('client-') || name.startsWith('client_')) && has('latency', 'lat', 'duration', 'rt')) {
    return { kind: 'client-latency', bad: 'up', ratio: false, label: metric };
  }
  if (has('latency', 'lat', 'duration', 'rt', 'responsetime', 'response') || /lat\d+$/.test(name)) {
    return { kind: 'latency', bad: 'up', ratio: false, label: metric };
  }
  if (has('success', 'availability', 'available', 'ok', 'apdex')) {
    return { kind: 'success', bad: 'down', ratio: true, label: metric };
  }
  if (has('error', 'errors', 'err', 'fail', 'failed', 'failure', 'failures', '5xx', 'fault', 'faults', 'exception', 'exceptions', 'timeout', 'timeouts')) {
    return { kind: 'errors', bad: 'up', ratio: util || name.includes('rate'), label: metric };
  }
  if (has('workload', 'requests', 'request', 'rps', 'qps', 'throughput', 'tps', 'calls', 'count', 'traffic', 'invocations')) {
    return { kind: 'workload', bad: 'both', ratio: false, label: metric };
  }
  if (has('cpu', 'cpus', 'threads', 'load')) return { kind: 'cpu', bad: 'up', ratio: util, label: metric };
  if (has('mem', 'memory', 'rss', 'heap', 'oom')) return { kind: 'memory', bad: 'up', ratio: util, label: metric };
  if (has('disk', 'diskio', 'io', 'fs', 'iops')) return { kind: 'disk', bad: 'up', ratio: util, label: metric };
  if (has('net', 'network', 'rx', 'tx', 'receive', 'transmit', 'packets', 'socket', 'tcp', 'bytes', 'syscall')) {
    return { kind: 'network', bad: 'both', ratio: util, label: metric };
  }
  return { kind: 'other', bad: 'both', ratio: util, label: metric };
}
