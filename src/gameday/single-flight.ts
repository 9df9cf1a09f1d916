// Keeping a game day's own load on the shop under test bounded: a periodic check that overlaps itself
// when the shop is slow doubles the admin requests it sends, just when the shop can least afford them.

/**
 * Calls `fn` every `intervalMs`, skipping a beat while the previous call is still running (setInterval
 * alone would start another). Returns the function that stops it.
 */
export function everyWithoutOverlap(intervalMs: number, fn: () => Promise<void>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    fn().catch(() => {}).finally(() => { running = false; });
  }, intervalMs);
  return () => clearInterval(timer);
}

/**
 * A reading shared by everyone who asks for it: one read in flight at a time, and its result reused by
 * those who ask within `maxAgeMs` of it. A failed read is not kept.
 */
export function sharedReading<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last && Date.now() - last.at < maxAgeMs) return last.value;
    const value = read();
    const entry = { at: Number.POSITIVE_INFINITY, value };
    last = entry;
    // Fresh from the moment it arrives; shared while in flight (at is +Infinity only until it settles).
    value.then(() => { entry.at = Date.now(); }, () => { if (last === entry) last = undefined; });
    return value;
  };
}
