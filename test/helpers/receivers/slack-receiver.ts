// A local Slack incoming webhook. Answers as Slack documents (api.slack.com/changelog/2016-05-17 and the
// Block Kit limits): 200 `ok` (text/html) for a message it would post; 400 `invalid_payload` for a body
// that is not a JSON object, 400 `missing_text_or_fallback_or_attachments` without text or blocks,
// 400 `invalid_blocks` for blocks over the limits; 404 `no_service` for a webhook path it does not know
// (a revoked webhook). A test scripts 429 (`rate_limited`, Retry-After) and 500 (`rollup_error`).
import { ScriptedReceiver, parseJson, type Answer } from './scripted-receiver.ts';

export const SLACK_WEBHOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';

const text = (status: number, body: string): Answer => ({ status, body, headers: { 'content-type': 'text/html' } });
export const SLACK_RATE_LIMITED = (retryAfterSeconds: number): Answer => ({ ...text(429, 'rate_limited'), headers: { 'content-type': 'text/html', 'retry-after': String(retryAfterSeconds) } });
export const SLACK_ROLLUP_ERROR: Answer = text(500, 'rollup_error');

interface Block { type?: unknown; text?: { text?: unknown }; fields?: { text?: unknown }[]; elements?: unknown[] }

/** Block Kit's documented limits on the block types Holdfast sends; the first broken one, or null. */
function blocksProblem(blocks: unknown): string | null {
  if (!Array.isArray(blocks) || blocks.length > 50) return 'blocks must be an array of at most 50';
  for (const [i, raw] of blocks.entries()) {
    const b = raw as Block;
    const len = (v: unknown) => (typeof v === 'string' ? [...v].length : -1);
    if (b.type === 'header' && !(len(b.text?.text) >= 1 && len(b.text?.text) <= 150)) return `blocks[${i}]: header text must be 1-150 characters`;
    if (b.type === 'section') {
      if (b.text === undefined && b.fields === undefined) return `blocks[${i}]: a section needs text or fields`;
      if (b.text !== undefined && !(len(b.text.text) >= 1 && len(b.text.text) <= 3000)) return `blocks[${i}]: section text must be 1-3000 characters`;
      if (b.fields !== undefined && (b.fields.length > 10 || b.fields.some((f) => !(len(f.text) >= 1 && len(f.text) <= 2000)))) return `blocks[${i}]: at most 10 fields of 1-2000 characters`;
    }
    if (b.type === 'context' && !(Array.isArray(b.elements) && b.elements.length >= 1 && b.elements.length <= 10)) return `blocks[${i}]: context needs 1-10 elements`;
    if (!['header', 'section', 'context', 'divider', 'actions', 'image'].includes(String(b.type))) return `blocks[${i}]: unknown type ${String(b.type)}`;
  }
  return null;
}

export class SlackReceiver extends ScriptedReceiver {
  /** The messages Slack would have posted, in order. */
  readonly posted: { text: string; blocks: unknown[] }[] = [];

  constructor() {
    super((req) => {
      if (req.method !== 'POST' || req.path !== SLACK_WEBHOOK_PATH) return text(404, 'no_service');
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return text(400, 'invalid_payload');
      const message = parseJson(req.body) as { text?: unknown; blocks?: unknown } | undefined;
      if (!message || typeof message !== 'object' || Array.isArray(message)) return text(400, 'invalid_payload');
      if (typeof message.text !== 'string' && message.blocks === undefined) return text(400, 'missing_text_or_fallback_or_attachments');
      if (message.blocks !== undefined && blocksProblem(message.blocks)) return text(400, 'invalid_blocks');
      this.posted.push({ text: String(message.text ?? ''), blocks: (message.blocks as unknown[] | undefined) ?? [] });
      return text(200, 'ok');
    });
  }

  /** The URL of the one webhook this receiver knows. */
  get webhookUrl(): string { return `${this.url}${SLACK_WEBHOOK_PATH}`; }
}
