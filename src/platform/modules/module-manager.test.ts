import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import {
  ModuleManager, ModuleGraphError, ProcessLifecycle, defineModule, optional, withOptions,
  type AnyModule, type DependencySpec, type ModuleFor, type ModuleRuntime,
} from './module-manager.ts';

type Fail = { init?: boolean; start?: boolean; stop?: boolean };
interface Config { events: string[] }

/** A module that records init/start/stop in config.events, optionally failing at one of them. */
function mod(name: string, deps: DependencySpec = {}, fail: Fail = {}) {
  return defineModule({
    name,
    deps: { ...deps },
    config: (c: Config) => c.events,
    init: ({ config: events }) => {
      events.push(`init ${name}`);
      if (fail.init) throw new Error(`${name} init failed`);
      return {
        service: name,
        start: async () => {
          await new Promise((r) => setImmediate(r));
          events.push(`start ${name}`);
          if (fail.start) throw new Error(`${name} start failed`);
        },
        stop: async () => {
          await new Promise((r) => setImmediate(r));
          events.push(`stop ${name}`);
          if (fail.stop) throw new Error(`${name} stop failed`);
        },
      };
    },
  });
}

const runtime = (): Omit<ModuleRuntime, 'modules'> => ({
  logger: pino({ level: 'silent' }), serviceName: 'test', waitForDatabase: false, lifecycle: new ProcessLifecycle(),
});
const of = (events: string[], kind: string) => events.filter((e) => e.startsWith(`${kind} `)).map((e) => e.slice(kind.length + 1));

/** database <- migrations <- {queue, http} <- storefront; psp only needs migrations. */
function shop(fail: Record<string, Fail> = {}) {
  const database = mod('database', {}, fail.database);
  const migrations = mod('migrations', { database }, fail.migrations);
  const queue = mod('queue', { migrations }, fail.queue);
  const http = mod('http', { migrations }, fail.http);
  const storefront = mod('storefront', { http, queue }, fail.storefront);
  const psp = mod('psp', { migrations }, fail.psp);
  const modules = [storefront, http, queue, migrations, database, psp];
  return new ModuleManager<Config>(modules, { storefront: [storefront], psp: [psp], all: [storefront, psp] });
}

const start = (mm: ModuleManager<Config>, targets: string[], events: string[]) => mm.start(targets, { events }, runtime());

test('a dependency cycle is rejected and the error names the cycle', () => {
  const a = mod('a');
  const b = mod('b', { a });
  const c = mod('c', { b });
  (a.deps as Record<string, AnyModule>).c = c;
  const top = mod('top', { a });
  const mm = new ModuleManager<Config>([a, b, c, top], { t: [top] });
  assert.throws(() => mm.resolve(['t']), (err: Error) => {
    assert.ok(err instanceof ModuleGraphError);
    assert.match(err.message, /cycle/);
    assert.match(err.message, /a -> c -> b -> a/);
    return true;
  });
});

test('a module depending on itself is a cycle', async () => {
  const self = mod('self');
  (self.deps as Record<string, AnyModule>).self = self;
  const mm = new ModuleManager<Config>([self], { t: [self] });
  const events: string[] = [];
  await assert.rejects(start(mm, ['t'], events), /cycle: self -> self/);
  assert.deepEqual(events, [], 'nothing is initialised when the graph is invalid');
});

test('unknown targets and unregistered dependencies are rejected with their names', async () => {
  const mm = shop();
  assert.throws(() => mm.resolve(['storefrnt']), (err: Error) => {
    assert.ok(err instanceof ModuleGraphError);
    assert.match(err.message, /unknown target "storefrnt"/);
    assert.match(err.message, /storefront, psp, all/, 'lists the known targets');
    return true;
  });
  const cache = mod('cache');
  const web = mod('web', { cache });
  const broken = new ModuleManager<Config>([web], { web: [web] });
  assert.throws(() => broken.resolve(['web']), /unknown module "cache" \(needed by web\)/);
  const events: string[] = [];
  await assert.rejects(start(broken, ['web'], events), ModuleGraphError);
  assert.deepEqual(events, []);
});

test('two different modules with one name are rejected', () => {
  assert.throws(() => new ModuleManager<Config>([mod('a'), mod('a')]), /registered twice/);
});

test('modules initialise and start in dependency order, each exactly once, whatever order the target lists them in', async () => {
  const mm = shop();
  const events: string[] = [];
  const order = await start(mm, ['all'], events);
  assert.deepEqual(order.toSorted(), ['database', 'http', 'migrations', 'psp', 'queue', 'storefront']);
  for (const kind of ['init', 'start']) {
    const seen = of(events, kind);
    assert.deepEqual(seen, order, `${kind} follows the resolved order`);
    const pos = (n: string) => seen.indexOf(n);
    assert.ok(pos('database') < pos('migrations'));
    assert.ok(pos('migrations') < pos('http') && pos('migrations') < pos('queue') && pos('migrations') < pos('psp'));
    assert.ok(pos('http') < pos('storefront') && pos('queue') < pos('storefront'));
  }
  // Every init happens before any start (a service is built before anything serves).
  assert.ok(events.lastIndexOf('init psp') < events.indexOf('start database'));
  assert.ok(mm.isRunning());
  assert.ok([...mm.states.values()].every((s) => s === 'running'));
});

test('a target only runs the modules it needs', async () => {
  const mm = shop();
  const events: string[] = [];
  await start(mm, ['psp'], events);
  assert.deepEqual(of(events, 'start'), ['database', 'migrations', 'psp']);
  await mm.stop();
  assert.deepEqual(of(events, 'stop'), ['psp', 'migrations', 'database']);
});

test('a module receives its own config slice, the typed services of its dependencies, the runtime and its options', async () => {
  interface AppConfig { db: { url: string }; http: { port: number }; secret: string }
  const database = defineModule({
    name: 'database',
    config: (c: Pick<AppConfig, 'db'>) => c.db,
    init: ({ config }) => ({ service: { url: config.url, query: (sql: string) => `${config.url}: ${sql}` } }),
  });
  const seen: unknown[] = [];
  const http = defineModule({
    name: 'http',
    deps: { db: database },
    config: (c: Pick<AppConfig, 'http'>) => ({ port: c.http.port }),
    options: { banner: 'default', greeting: 'hi' },
    init: ({ config, deps, runtime: rt, options }) => {
      seen.push(config, deps.db.query('SELECT 1'), [...rt.modules], options);
      return { service: { port: config.port } };
    },
  });
  const modules: ModuleFor<AppConfig>[] = [database, http];
  const mm = new ModuleManager<AppConfig>(modules, { web: [http] });
  await mm.start(['web'], { db: { url: 'pg://x' }, http: { port: 8080 }, secret: 's3cret' }, runtime(), [withOptions(http, { banner: 'hello' })]);
  assert.deepEqual(seen, [{ port: 8080 }, 'pg://x: SELECT 1', ['database', 'http'], { banner: 'hello', greeting: 'hi' }]);
  assert.equal(mm.service(http).port, 8080);
  assert.equal(mm.service(database).url, 'pg://x');
  assert.throws(() => mm.service(mod('elsewhere')), /not running/);
});

test('an optional dependency comes first when the process runs it, is undefined when not, and is never pulled in', async () => {
  const simulator = mod('simulator');
  const seen: Record<string, unknown> = {};
  const payments = defineModule({
    name: 'payments',
    deps: { simulator: optional(simulator) },
    config: (c: Config) => c.events,
    init: ({ config: events, deps }) => {
      events.push('init payments');
      seen.simulator = deps.simulator;
      return { service: undefined };
    },
  });
  const mm = () => new ModuleManager<Config>([payments, simulator], { payments: [payments], psp: [simulator], all: [payments, simulator] });
  const alone: string[] = [];
  assert.deepEqual(await start(mm(), ['payments'], alone), ['payments']);
  assert.equal(seen.simulator, undefined);
  // Listed after payments, started before it: order comes from declared dependencies.
  const both: string[] = [];
  assert.deepEqual(await start(mm(), ['all'], both), ['simulator', 'payments']);
  assert.equal(seen.simulator, 'simulator');
});

test('stop runs in exactly the reverse of the start order', async () => {
  const mm = shop();
  const events: string[] = [];
  await start(mm, ['all'], events);
  await mm.stop();
  assert.deepEqual(of(events, 'stop'), of(events, 'start').reverse());
  assert.ok([...mm.states.values()].every((s) => s === 'stopped'));
  assert.equal(mm.isRunning(), false);
  await mm.stop();
  assert.equal(of(events, 'stop').length, 6, 'a second stop does not stop anything twice');
});

test('a failing start stops what already started (in reverse) and rethrows the original error', async () => {
  const mm = shop({ queue: { start: true } });
  const events: string[] = [];
  await assert.rejects(start(mm, ['storefront'], events), { message: 'queue start failed' });
  const started = of(events, 'start');
  assert.equal(started.at(-1), 'queue');
  assert.ok(!started.includes('storefront'), 'nothing starts after a failure');
  const stopped = of(events, 'stop');
  // Everything that started gets stopped, dependents first; the failed module is given the chance to
  // release what its half-done start acquired.
  assert.deepEqual(stopped.filter((n) => n !== 'queue' && n !== 'storefront'), started.filter((n) => n !== 'queue').reverse());
  assert.ok(stopped.indexOf('queue') < stopped.indexOf('migrations'));
  assert.equal(mm.states.get('queue'), 'failed');
  assert.equal(mm.isRunning(), false);
});

test('a failing init stops the services already initialised (they may hold pools) and rethrows', async () => {
  const mm = shop({ http: { init: true } });
  const events: string[] = [];
  await assert.rejects(start(mm, ['storefront'], events), { message: 'http init failed' });
  assert.deepEqual(of(events, 'start'), [], 'nothing starts when an init fails');
  const initialised = of(events, 'init').filter((n) => n !== 'http');
  assert.deepEqual(of(events, 'stop'), initialised.reverse());
  assert.equal(mm.states.get('http'), 'failed');
});

test('every module of the targets is checked before any is initialised; a failing check stops start-up there; init gets what check returned', async () => {
  const checking = (name: string, deps: DependencySpec, fail = false) => defineModule({
    name,
    deps,
    config: (c: Config) => c.events,
    check: ({ config: events }) => {
      events.push(`check ${name}`);
      if (fail) throw new Error(`${name}: bad file`);
      return `${name} file`;
    },
    init: ({ config: events, checked }) => {
      events.push(`init ${name} with ${checked}`);
      return { service: undefined };
    },
  });
  const build = (failing: boolean) => {
    const database = mod('database');
    const control = checking('control', { database }, failing);
    const psp = checking('psp', { database });
    return new ModuleManager<Config>([database, control, psp], { all: [control, psp] });
  };
  const ok: string[] = [];
  await start(build(false), ['all'], ok);
  assert.deepEqual(ok.slice(0, 4), ['check control', 'check psp', 'init database', 'init control with control file']);
  const bad: string[] = [];
  const mm = build(true);
  await assert.rejects(start(mm, ['all'], bad), { message: 'control: bad file' });
  assert.deepEqual(bad, ['check control'], 'nothing was initialised, started or stopped');
  assert.equal(mm.isRunning(), false);
});

test('every module is stopped even when some stops fail, and the failures are reported together', async () => {
  const mm = shop({ http: { stop: true }, migrations: { stop: true } });
  const events: string[] = [];
  await start(mm, ['all'], events);
  await assert.rejects(mm.stop(), (err: unknown) => {
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors.map((e: Error) => e.message).toSorted(), ['http stop failed', 'migrations stop failed']);
    return true;
  });
  assert.deepEqual(of(events, 'stop'), of(events, 'start').reverse(), 'stops after a failed one still ran');
  assert.equal(mm.states.get('http'), 'failed');
  assert.equal(mm.states.get('database'), 'stopped');
});

test('a failing start still rethrows the start error when a stop also fails', async () => {
  const mm = shop({ storefront: { start: true }, database: { stop: true } });
  const events: string[] = [];
  await assert.rejects(start(mm, ['storefront'], events), { message: 'storefront start failed' });
  assert.ok(of(events, 'stop').includes('database'));
});

test('modules without start or stop take part in ordering', async () => {
  const base = mod('base');
  const shell = defineModule({ name: 'shell', deps: { base }, config: (c: Config) => c.events, init: ({ config: events }) => { events.push('init shell'); return { service: undefined }; } });
  const mm = new ModuleManager<Config>([shell, base], { t: [shell] });
  assert.deepEqual(await start(mm, ['t'], []), ['base', 'shell']);
  assert.ok(mm.isRunning());
  await mm.stop();
  assert.equal(mm.states.get('shell'), 'stopped');
});

test('targets() lists every target with its modules; a module name works as a target', () => {
  const mm = shop();
  assert.deepEqual(mm.targets(), [
    { name: 'storefront', modules: ['storefront'] },
    { name: 'psp', modules: ['psp'] },
    { name: 'all', modules: ['storefront', 'psp'] },
  ]);
  assert.deepEqual(mm.resolve(['migrations']), ['database', 'migrations']);
});
