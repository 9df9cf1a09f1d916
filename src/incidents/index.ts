// The incidents context's public surface: notification channels (Slack, PagerDuty Events v2, a signed
// webhook), escalation policies, the durable notification outbox, the Alertmanager receiver's parser,
// the public status page and the postmortem draft. See docs/incident-response.md.
import path from 'node:path';
export {
  incidentsConfig, IncidentsConfigSchema, INCIDENTS_ENV_VARS, PAGERDUTY_EVENTS_URL, CHANNEL_NAMES, configuredChannelNames, incidentsConfigProblems,
  incidentConsoleUrl, consoleBaseUrl, type IncidentsConfig, type ChannelName,
} from './incidents-config.ts';
export {
  INCIDENT_SEVERITIES, parseRetryAfter, classifyAnswer,
  type IncidentSeverity, type IncidentState, type NotificationKind, type NoticeIncident, type IncidentNotice,
  type DeliveryResult, type ChannelRateLimit, type NotificationChannel,
} from './channels/notification.ts';
export { slackMessage, createSlackChannel, type SlackMessage, type SlackChannelOptions } from './channels/slack-channel.ts';
export {
  pagerDutyEvent, pagerDutyDedupKey, createPagerDutyChannel, PAGERDUTY_LIMITS, PAGERDUTY_429_RETRY_MS,
  type PagerDutyEvent, type PagerDutyChannelOptions,
} from './channels/pagerduty-channel.ts';
export {
  webhookBody, webhookEventType, signWebhook, verifyWebhookSignature, createWebhookChannel,
  SIGNATURE_HEADER, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_TOLERANCE_SECONDS,
  type WebhookBody, type WebhookEventType, type SignatureVerdict, type WebhookChannelOptions,
} from './channels/webhook-channel.ts';
export { createConfiguredChannels } from './channels/configured-channels.ts';
export {
  EscalationPolicySchema, EscalationLevelSchema, escalationPolicyProblems, defaultEscalationPolicy, readEscalationPolicyFile,
  configuredEscalationPolicy, pageSchedule, plannedNotifications, plannedUpdate, toldChannels, nextEscalationAt, pageTransition,
  type EscalationPolicy, type EscalationClock, type PlannedNotification, type PageStep,
} from './escalation.ts';
export {
  acceptsOf, escalationClockOf, enqueueNotifications, syncIncidentNotifications, syncTriggeredIncidents, enqueueIncidentUpdate,
  noticeOf, retryDelayMs, deliverDueNotifications, notificationStats, NotificationDeliverer, DEFAULT_RETRY_BACKOFF,
  type IncidentRow, type NotificationRow, type NotificationState, type ChannelAccepts, type RetryBackoff, type DeliveryOptions,
  type DeliveryPassSummary, type DelivererOptions,
} from './outbox.ts';
export {
  openIncident, acknowledgeIncident, resolveIncident, updateIncident, appendTimeline, incidentTimeline, getIncident, incidentNotifications,
  assignIncident, publishStatusUpdate, type NewIncident, type TimelineEntry, type StatusUpdateOutcome,
} from './incident-store.ts';
export { IncidentQueries } from './incident-queries.ts';
export {
  parseAlertmanagerPayload, severityOfLabel, AlertmanagerPayloadSchema,
  type AlertEvent, type AlertmanagerNotification, type AlertmanagerParseResult, type AlertmanagerPayload,
} from './alertmanager.ts';
export {
  computeStatusPage, overrideInForce, statusApiBody, storefrontBanner, statusComponentsOf, statusFromBurn, draftUpdates, publicIncidentName, worstStatus,
  impactOf, STATUS_COMPONENTS, COMPONENT_STATUSES, INCIDENT_UPDATE_STATUSES, DEFAULT_JOURNEY_COMPONENTS, STATUS_CACHE_CONTROL,
  type StatusComponentName, type ComponentStatusValue, type ComponentStatusSource, type IncidentUpdateStatus, type IncidentImpact, type SloBurnInput,
  type StatusIncidentInput, type StatusOverrideInput, type StatusUpdateInput, type StatusInputs, type StatusPage, type ComponentState,
  type PublicIncident, type PublicUpdate, type HistoryDay, type ComponentHistory, type StatusApiBody, type StorefrontBanner,
} from './status-page.ts';
export { renderStatusPage, renderStorefrontBanner } from './status-page-view.ts';
export { statusOpsRoutes, overrideEnd, type StatusOpsDeps } from './status-ops-routes.ts';
export {
  renderPostmortemMarkdown, renderPostmortemHtml, shareText,
  type PostmortemInput, type PostmortemEvent, type PostmortemChart, type Sourced, type ShareFigure, type SignalInput,
} from './postmortem.ts';
export { incidentChartSvg, type IncidentChart, type ChartSeries, type ChartMarker } from './incident-charts.ts';
export {
  loadStatusRecords, loadStatusInputs, saveSloBurns, addStatusUpdate, setStatusOverride, clearStatusOverride, BURN_STALE_MS, type NewStatusOverride,
} from './status-page-store.ts';

/** The incidents context's numbered SQL migrations (incidents, timeline, outbox, status page records). */
export const incidentsMigrations = path.join(import.meta.dirname, 'migrations');
export { incidentsModule, statusPageModule, signalOfAlert } from './incidents-module.ts';
export { StatusPageService } from './status-page-service.ts';
export { IncidentResponder, mergeTimeline, incidentView, type AlertSignal, type IncidentView, type IncidentDetail, type TimelineItem } from './incident-responder.ts';
export { incidentToJoin, componentFamily, CORRELATION_WINDOW_MS, CHANGES_BEFORE_MS, type OpenIncidentSummary, type AlertToPlace } from './incident-correlation.ts';
export { IncidentErrors } from './incident-errors.ts';
export { postmortemInput, faultWindow, type MetricsWindow } from './postmortem-source.ts';
