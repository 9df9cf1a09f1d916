// docs/configuration.md is generated from the schema; this keeps the committed page in step with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigDoc } from '../platform/config/config-doc.ts';
import { holdfastConfig } from './holdfast-config.ts';

const ConfigSchema = holdfastConfig.schema;
const ENV_VARS = holdfastConfig.env;

test('docs/configuration.md lists every setting as the schema defines it (run `npm run docs:config` after changing the schema)', () => {
  const committed = readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');
  assert.equal(committed, renderConfigDoc(holdfastConfig));
});

test('every setting has an environment variable and a description', () => {
  const keys = Object.keys(ConfigSchema.properties);
  const mapped = new Set(Object.values(ENV_VARS));
  assert.deepEqual(keys.filter((k) => !mapped.has(k as never)), []);
  const undocumented = Object.entries(ConfigSchema.properties as Record<string, { description?: string }>).filter(([, s]) => !s.description).map(([k]) => k);
  assert.deepEqual(undocumented, []);
});
