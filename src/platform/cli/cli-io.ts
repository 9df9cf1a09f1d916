// What every `holdfast <command>` that talks to a running shop shares: where it writes (stdout and stderr,
// or a test's capture), and how it words the two ways a call to the shop goes wrong: the shop could not be
// reached, or it answered with an error.

export interface CliIo { out(text: string): void; err(text: string): void }

export const STDIO: CliIo = {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
};

/** "cannot reach <base>: <reason>": fetch hides the socket's reason (ECONNREFUSED, ...) in its error's cause. */
export function unreachable(base: string, err: unknown): string {
  const e = err as Error & { cause?: Error };
  return `cannot reach ${base}: ${e.cause?.message ?? e.message}`;
}

/** An error answer's body as "CODE: message" (Holdfast's error shape), else the start of the body. */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (parsed.error) return `${parsed.error.code ?? ''}: ${parsed.error.message ?? ''}`;
  } catch { /* not JSON: the text itself */ }
  return body.slice(0, 500);
}
