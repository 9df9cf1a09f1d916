// Ports for servers started later: below the ephemeral range, so that no outgoing connection takes one first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePortsBelowEphemeral, portFree } from './free-port.ts';

test('n consecutive ports, each free, all below the ephemeral range (32768 and up)', async () => {
  const first = await freePortsBelowEphemeral(4);
  assert.ok(first >= 20_000 && first + 4 <= 32_000, `ports ${first}..${first + 3}`);
  for (let p = first; p < first + 4; p++) assert.equal(await portFree(p), true, `port ${p} is free`);
});

test('a port something listens on is not free', async () => {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    assert.equal(await portFree((srv.address() as net.AddressInfo).port), false);
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
});
