// Logs a run of failures of one recurring task (a poll, a reconnect, housekeeping) as a few lines rather
// than one per failure: a warning when the run starts, a reminder at most once a minute while it lasts,
// and an info line when the task succeeds again. A database outage would otherwise write a line per
// poll in every process, burying what an operator needs to read.

/** What a run's lines are written to: a pino logger, or Fastify's. */
export interface FailureLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export class FailureRun {
  readonly #logger: FailureLog;
  readonly #task: string;
  readonly #remindEveryMs: number;
  #startedAt: number | undefined;
  #lastFailureAt = 0;
  #lastLoggedAt = 0;
  #failures = 0;
  #unlogged = 0;

  /** task: what fails, as the log lines name it ("fault refresh", "payments housekeeping"). */
  constructor(logger: FailureLog, task: string, remindEveryMs = 60_000) {
    this.#logger = logger;
    this.#task = task;
    this.#remindEveryMs = remindEveryMs;
  }

  get failing(): boolean { return this.#startedAt !== undefined; }

  failed(err: unknown, hint = 'will retry'): void {
    const now = Date.now();
    // A task that never reports success (an error event) starts a new run after a quiet minute.
    if (this.#startedAt !== undefined && now - this.#lastFailureAt > this.#remindEveryMs) this.#startedAt = undefined;
    this.#lastFailureAt = now;
    if (this.#startedAt === undefined) {
      this.#startedAt = now;
      this.#failures = 1;
      this.#unlogged = 0;
      this.#lastLoggedAt = now;
      this.#logger.warn({ err, task: this.#task }, `${this.#task} failed; ${hint}`);
      return;
    }
    this.#failures++;
    this.#unlogged++;
    if (now - this.#lastLoggedAt >= this.#remindEveryMs) {
      this.#lastLoggedAt = now;
      this.#logger.warn({ err, task: this.#task, failures: this.#failures, sinceSeconds: Math.round((now - this.#startedAt) / 1000) },
        `${this.#task} still failing (${this.#unlogged} more failures since the last line); ${hint}`);
      this.#unlogged = 0;
    }
  }

  succeeded(what = 'works again'): void {
    if (this.#startedAt === undefined) return;
    this.#logger.info({ task: this.#task, failures: this.#failures, failedForSeconds: Math.round((Date.now() - this.#startedAt) / 100) / 10 },
      `${this.#task} ${what}`);
    this.#startedAt = undefined;
  }
}
