// Regenerates docs/configuration.md from the config schema (npm run docs:config). A unit test checks
// the committed page matches, so the schema and the docs cannot drift apart.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigDoc } from '../src/platform/config/config-doc.ts';
import { holdfastConfig } from '../src/app/holdfast-config.ts';

const file = path.resolve(import.meta.dirname, '..', 'docs', 'configuration.md');
writeFileSync(file, renderConfigDoc(holdfastConfig));
process.stdout.write(`wrote ${file}\n`);
