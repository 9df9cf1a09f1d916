// Checks Holdfast's module boundaries with dependency-cruiser (rules in .dependency-cruiser.mjs): no import
// cycles (type-only imports included), platform/ imports no context, contexts import each other only
// through index.ts. Prints every violation and exits 1 when there is any; `npm test` runs it before the
// tests. Usage: node scripts/check-boundaries.ts [<path>...]   (default: src test scripts bench)
//
// dependency-cruiser parses TypeScript with the typescript package's compiler API, which TypeScript 7 (the
// native compiler this project type-checks with) no longer ships. The tools/boundaries workspace holds
// TypeScript 6.0's compiler for it, and a resolve hook hands that one to dependency-cruiser only
// (docs/decisions/0016-boundaries-with-dependency-cruiser.md).
import { registerHooks } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const parserTypescript = pathToFileURL(path.join(root, 'tools/boundaries/node_modules/typescript/')).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const fromCruiser = context.parentURL?.includes('/node_modules/dependency-cruiser/') ?? false;
    if (fromCruiser && (specifier === 'typescript' || specifier.startsWith('typescript/'))) {
      const rest = specifier === 'typescript' ? '' : specifier.slice('typescript/'.length);
      return { url: new URL(rest || 'lib/typescript.js', parserTypescript).href, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});

export interface BoundaryViolation { rule: string; from: string; to: string; cycle?: string[] }

/** Runs the boundary rules over `paths` (relative to cwd, default the repository) and returns the violations. */
export async function checkBoundaries(paths: string[] = ['src', 'test', 'scripts', 'bench'], cwd = root): Promise<BoundaryViolation[]> {
  const { cruise } = await import('dependency-cruiser');
  const { default: ruleSet } = await import(pathToFileURL(path.join(root, '.dependency-cruiser.mjs')).href) as { default: { forbidden: unknown[]; options: Record<string, unknown> } };
  const here = process.cwd();
  process.chdir(cwd);
  try {
    const result = await cruise(paths, { ...ruleSet.options, validate: true, ruleSet: { forbidden: ruleSet.forbidden } } as never);
    const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }[] }; modules: { source: string; dependencies: { couldNotResolve?: boolean }[] }[] };
    if (!output.modules.some((m) => m.source.endsWith('.ts'))) throw new Error('dependency-cruiser read no TypeScript file: its TypeScript parser did not load');
    return output.summary.violations.map((v) => ({
      rule: v.rule.name, from: v.from, to: v.to, ...(v.cycle ? { cycle: v.cycle.map((c) => c.name) } : {}),
    }));
  } finally {
    process.chdir(here);
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const started = Date.now();
  const violations = await checkBoundaries(args.length ? args : undefined);
  for (const v of violations) {
    process.stdout.write(`  ✖ ${v.rule}: ${v.from} → ${v.to}${v.cycle ? `\n      cycle: ${[v.from, ...v.cycle].join(' → ')}` : ''}\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`boundaries: ${violations.length} violation${violations.length === 1 ? '' : 's'} (${seconds} s)\n`);
  process.exitCode = violations.length ? 1 : 0;
}
