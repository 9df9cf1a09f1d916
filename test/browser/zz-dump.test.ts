import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { startTestApp } from '../helpers/test-app.ts';
import { runLoadTest } from '../../src/loadtest/index.ts';
test('dump', { timeout: 90_000 }, async () => {
  const app = await startTestApp();
  const result = await runLoadTest({ source: { kind: 'builtin', name: 'holiday-surge' }, targetUrl: app.url, overrides: { duration: 12 }, gracefulStopSec: 3 });
  await writeFile('/tmp/lt-result.json', JSON.stringify(result));
  await app.stop();
});
