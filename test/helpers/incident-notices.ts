// A realistic incident notice for channel tests: the README's fault (psp.latency 2000 ms) as the
// control role would report it.
import type { IncidentNotice, NoticeIncident } from '../../src/incidents/index.ts';

export function sampleNotice(overrides: Partial<Omit<IncidentNotice, 'incident'>> & { incident?: Partial<NoticeIncident> } = {}): IncidentNotice {
  const id = overrides.incident?.id ?? '3f1c2a9e-8d4b-4c1e-9a57-0b6f2d7e9c11';
  const incident: NoticeIncident = {
    id,
    title: 'Payment provider calls slow: p95 2.04 s (baseline 0.08 s)',
    severity: 'critical',
    component: 'payments -> provider',
    source: 'holdfast-control',
    state: 'triggered',
    rootCause: 'provider: latency 2.04 s vs 0.08 s baseline; psp.latency was set 4 s before the first signal',
    triggeredAt: '2026-11-27T14:02:11.000Z',
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    details: { signal: 'provider latency', baselineSeconds: 0.08, currentSeconds: 2.04 },
    ...overrides.incident,
  };
  const kind = overrides.kind ?? 'page';
  const transition = overrides.transition ?? (kind === 'page' ? `page:${overrides.level ?? 0}:${overrides.loop ?? 0}` : kind);
  return {
    deliveryId: `${id}/${transition}`,
    kind,
    transition,
    level: kind === 'page' ? 0 : null,
    loop: kind === 'page' ? 0 : null,
    consoleUrl: `https://shop.example.com/ops/incidents/${id}`,
    occurredAt: '2026-11-27T14:02:12.000Z',
    ...overrides,
    incident,
  };
}
