// Holdfast's module boundaries, checked by scripts/check-boundaries.ts (run by `npm test` before the tests,
// like tsc) with dependency-cruiser. docs/decisions/0016-boundaries-with-dependency-cruiser.md says why
// these rules and this tool; docs/architecture.md describes the layout they keep.
//
// Folders of src/: `app/` is the composition root; `platform/` holds mechanisms; `telemetry/` is the
// telemetry contract (metric names, labels, route classes) shared by producers and consumers; every
// other folder is a bounded context whose index.ts is its only public surface.
const NOT_A_CONTEXT = '(app|platform|telemetry)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'No import cycles, type-only imports included: a cycle makes start-up order and ownership unclear.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'platform-imports-no-context',
      severity: 'error',
      comment: 'platform/ holds mechanisms (http, db, queue, modules, observability, process) and knows no context; '
        + 'a context gives platform what it needs as a value (a route plugin, a readiness check, a migrations folder).',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: ['^src/platform/', '^src/telemetry/'] },
    },
    {
      name: 'telemetry-contract-imports-nothing',
      severity: 'error',
      comment: 'The telemetry contract is names and label values only: every role imports it, it imports no code of Holdfast.',
      from: { path: '^src/telemetry/' },
      to: { path: '^src/', pathNot: '^src/telemetry/' },
    },
    {
      name: 'context-through-index-only',
      severity: 'error',
      comment: "A context reaches another context only through that context's index.ts, its one public surface.",
      from: { path: `^src/(?!${NOT_A_CONTEXT})([^/]+)/` },
      to: { path: `^src/(?!${NOT_A_CONTEXT})[^/]+/`, pathNot: ['^src/$1/', `^src/(?!${NOT_A_CONTEXT})[^/]+/index\\.ts$`] },
    },
    {
      name: 'domain-knows-no-http',
      severity: 'error',
      comment: "Domain code (services, queries, state machines) knows nothing of HTTP: only a context's routes, its "
        + "module's wiring and the storefront's pages reach the HTTP layer. A domain error carries a kind; the HTTP "
        + 'layer maps kinds to statuses in one place (src/platform/http/http-errors.ts).',
      from: { path: `^src/(?!${NOT_A_CONTEXT}|storefront/)[^/]+/`, pathNot: ['-(routes|module|server)\\.ts$', '\\.test\\.ts$'] },
      to: { path: ['^src/platform/http/', '^node_modules/(fastify|@fastify)/'] },
    },
    {
      name: 'app-through-index-only',
      severity: 'error',
      comment: 'The composition root wires contexts through their public surfaces too.',
      from: { path: '^src/app/' },
      to: { path: `^src/(?!${NOT_A_CONTEXT})[^/]+/`, pathNot: `^src/(?!${NOT_A_CONTEXT})[^/]+/index\\.ts$` },
    },
    {
      name: 'nothing-imports-app',
      severity: 'error',
      comment: 'app/ is the composition root: it imports everything and nothing in src/ imports it (only the CLI that runs it).',
      from: { path: '^src/', pathNot: ['^src/app/', '^src/cli\\.ts$'] },
      to: { path: '^src/app/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^tools/', '^\\.holdfast'] },
    // Type-only imports count: a cycle through `import type` is still a cycle of knowledge.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
