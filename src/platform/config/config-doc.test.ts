// docs/configuration.md is generated from the schema; this keeps the committed page in step with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigDoc } from './config-doc.ts';
import { ConfigSchema, ENV_VARS } from './config.ts';

test('docs/configuration.md lists every setting as the schema defines it (run `npm run docs:config` after changing the schema)', () => {
  const committed = readFileSync(path.resolve(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
  assert.equal(committed, renderConfigDoc());
});

test('every setting has an environment variable and a description', () => {
  const keys = Object.keys(ConfigSchema.properties);
  const mapped = new Set(Object.values(ENV_VARS));
  assert.deepEqual(keys.filter((k) => !mapped.has(k as never)), []);
  const undocumented = Object.entries(ConfigSchema.properties as Record<string, { description?: string }>).filter(([, s]) => !s.description).map(([k]) => k);
  assert.deepEqual(undocumented, []);
});
