// Debian's Chromium for the browser tests (nothing downloads a browser), launched headless with what the
// test machines need: no sandbox (containers), no GPU, no background traffic.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does this)`);
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
