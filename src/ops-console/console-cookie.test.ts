// The console's cookies: HttpOnly and SameSite=Strict always, Secure exactly when the request came over TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleCookie } from './console-routes.ts';

test('a console cookie is HttpOnly and SameSite=Strict; Secure over TLS only', () => {
  assert.equal(consoleCookie('hf_ops_session', 'abc', { path: '/ops', maxAge: 60, secure: true }), 'hf_ops_session=abc; Max-Age=60; Path=/ops; HttpOnly; Secure; SameSite=Strict');
  assert.equal(consoleCookie('hf_ops_session', 'abc', { path: '/ops', maxAge: 60, secure: false }), 'hf_ops_session=abc; Max-Age=60; Path=/ops; HttpOnly; SameSite=Strict');
});
