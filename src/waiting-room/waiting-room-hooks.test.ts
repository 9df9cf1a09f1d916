// The room's hooks run on every request of the storefront role: with the room off (the default) each is
// synchronous, so a request pays no promise nor microtask turn for a room it does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { WaitingRoom } from './waiting-room-service.ts';
import { installWaitingRoom } from './waiting-room-routes.ts';

test('with the room off every hook hands on at once and returns no promise', () => {
  const hooks: [string, (...args: unknown[]) => unknown][] = [];
  const app = { addHook: (name: string, fn: (...args: unknown[]) => unknown) => { hooks.push([name, fn]); }, decorateRequest: () => {} } as unknown as HttpServer;
  const room = { isOff: () => true, measuresLatency: () => false } as unknown as WaitingRoom;
  installWaitingRoom(app, room, 'secret');
  assert.deepEqual(hooks.map(([name]) => name).sort(), ['onRequest', 'onResponse', 'onSend']);
  const req = { method: 'POST', url: '/api/checkout', headers: { cookie: 'hf_waitingroom=x' } };
  const reply = { statusCode: 202, elapsedTime: 1, sent: false, getHeader: () => undefined, header: () => reply };
  for (const [name, hook] of hooks) {
    let handedOn = false;
    const done = () => { handedOn = true; };
    const returned = name === 'onSend' ? hook(req, reply, 'body', done) : hook(req, reply, done);
    assert.equal(returned instanceof Promise, false, `${name} returned a promise`);
    assert.equal(handedOn, true, `${name} did not hand the request on at once`);
  }
});
