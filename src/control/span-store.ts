// The control role's span collection: every role exports its OpenTelemetry spans over OTLP/HTTP (JSON,
// the encoding of @opentelemetry/exporter-trace-otlp-http) to the control role's `POST /v1/traces`,
// which keeps the most recent ones in a bounded ring for the root-cause analysis (trace-breakdown.ts).
// Only what the analysis reads is kept: ids, names, kind, service, times, and the status.

/** OTLP span kinds (opentelemetry-proto trace.proto SpanKind). */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  /** the exporting process' `service.name` without the `holdfast-` prefix (storefront, payments, psp, ...) */
  service: string;
  /** unix seconds */
  start: number;
  end: number;
  error: boolean;
  /** a database call (`db.system.name`) */
  db: boolean;
}

interface OtlpAnyValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface OtlpKeyValue { key: string; value?: OtlpAnyValue }
interface OtlpSpan {
  traceId?: string; spanId?: string; parentSpanId?: string; name?: string; kind?: number;
  startTimeUnixNano?: string | number; endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[]; status?: { code?: number };
}
export interface OtlpTraceRequest {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

const toSeconds = (nanos: string | number | undefined): number => {
  if (nanos === undefined) return Number.NaN;
  // nanoseconds since the epoch exceed 2^53: split the string instead of losing the microseconds
  if (typeof nanos === 'string') return nanos.length > 9 ? Number(nanos.slice(0, -9)) + Number(nanos.slice(-9)) / 1e9 : Number(nanos) / 1e9;
  return nanos / 1e9;
};

export class SpanStore {
  private readonly ring: (StoredSpan | undefined)[];
  private next = 0;
  /** spans accepted since start (the ring keeps the last `capacity`) */
  received = 0;
  rejected = 0;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  /** Adds the spans of one OTLP/HTTP JSON export request; spans without ids or times are skipped. */
  ingest(req: OtlpTraceRequest): number {
    let n = 0;
    for (const rs of req.resourceSpans ?? []) {
      const serviceName = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown';
      const service = serviceName.replace(/^holdfast-/, '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const start = toSeconds(s.startTimeUnixNano);
          const end = toSeconds(s.endTimeUnixNano);
          if (!s.traceId || !s.spanId || !Number.isFinite(start) || !Number.isFinite(end) || end < start) { this.rejected++; continue; }
          this.ring[this.next] = {
            traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name ?? '',
            kind: s.kind ?? SPAN_KIND.INTERNAL, service, start, end, error: s.status?.code === 2,
            db: (s.attributes ?? []).some((a) => a.key === 'db.system.name' || a.key === 'db.system'),
          };
          this.next = (this.next + 1) % this.capacity;
          n++;
        }
      }
    }
    this.received += n;
    return n;
  }

  /** Spans that ended in [from, to) (unix seconds), oldest first. */
  between(from: number, to: number): StoredSpan[] {
    const out: StoredSpan[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const s = this.ring[(this.next + i) % this.capacity];
      if (s && s.end >= from && s.end < to) out.push(s);
    }
    return out;
  }
}
