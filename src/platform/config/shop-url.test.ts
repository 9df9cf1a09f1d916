import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClientConfig } from './platform-config.ts';
import { shopUrl } from './shop-url.ts';

const urlFor = (env: Record<string, string>) => shopUrl(loadClientConfig(env), env);

test('the shop URL follows HOST and PORT as `holdfast start` reads them; HOLDFAST_URL wins', () => {
  assert.equal(urlFor({}), 'http://localhost:3000');
  assert.equal(urlFor({ PORT: '4123' }), 'http://localhost:4123');
  assert.equal(urlFor({ PORT: '4123', HOST: '0.0.0.0' }), 'http://127.0.0.1:4123');
  assert.equal(urlFor({ PORT: '4123', HOST: '::' }), 'http://[::1]:4123');
  assert.equal(urlFor({ PORT: '4123', HOST: '::1' }), 'http://[::1]:4123');
  assert.equal(urlFor({ PORT: '4123', HOST: 'shop.internal' }), 'http://shop.internal:4123');
  assert.equal(urlFor({ PORT: '4123', HOLDFAST_URL: 'http://127.0.0.1:9999/' }), 'http://127.0.0.1:9999');
  assert.throws(() => urlFor({ PORT: '0' }), /PORT=0 .* set HOLDFAST_URL/);
});
