import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleManager, ModuleGraphError, type ModuleDefinition, type Service } from './module-manager.ts';

type Ctx = { events: string[] };

/** A module that records init/start/stop in ctx.events, optionally failing at one of them. */
function mod(name: string, dependsOn: string[] = [], fail: { init?: boolean; start?: boolean; stop?: boolean } = {}): ModuleDefinition<Ctx> {
  return {
    name,
    dependsOn,
    init: (ctx): Service => {
      ctx.events.push(`init ${name}`);
      if (fail.init) throw new Error(`${name} init failed`);
      return {
        start: async () => {
          await new Promise((r) => setImmediate(r));
          ctx.events.push(`start ${name}`);
          if (fail.start) throw new Error(`${name} start failed`);
        },
        stop: async () => {
          await new Promise((r) => setImmediate(r));
          ctx.events.push(`stop ${name}`);
          if (fail.stop) throw new Error(`${name} stop failed`);
        },
      };
    },
  };
}

const of = (events: string[], kind: string) => events.filter((e) => e.startsWith(`${kind} `)).map((e) => e.slice(kind.length + 1));

/** database <- migrations <- {queue, http} <- storefront; psp only needs migrations. */
function shop(fail: Record<string, { init?: boolean; start?: boolean; stop?: boolean }> = {}) {
  return new ModuleManager<Ctx>()
    .register(mod('storefront', ['http', 'queue'], fail.storefront))
    .register(mod('http', ['migrations'], fail.http))
    .register(mod('queue', ['migrations'], fail.queue))
    .register(mod('migrations', ['database'], fail.migrations))
    .register(mod('database', [], fail.database))
    .register(mod('psp', ['migrations'], fail.psp))
    .defineTarget('storefront', ['storefront'])
    .defineTarget('psp', ['psp'])
    .defineTarget('all', ['storefront', 'psp']);
}

test('a dependency cycle is rejected and the error names the cycle', () => {
  const mm = new ModuleManager<Ctx>()
    .register(mod('a', ['b']))
    .register(mod('b', ['c']))
    .register(mod('c', ['a']))
    .register(mod('top', ['a']))
    .defineTarget('t', ['top']);
  assert.throws(() => mm.resolve(['t']), (err: Error) => {
    assert.ok(err instanceof ModuleGraphError);
    assert.match(err.message, /cycle/);
    assert.match(err.message, /a -> b -> c -> a/);
    return true;
  });
});

test('a module depending on itself is a cycle', async () => {
  const mm = new ModuleManager<Ctx>().register(mod('self', ['self'])).defineTarget('t', ['self']);
  const ctx = { events: [] as string[] };
  await assert.rejects(mm.start(['t'], ctx), /cycle: self -> self/);
  assert.deepEqual(ctx.events, [], 'nothing is initialised when the graph is invalid');
});

test('unknown targets and unknown dependencies are rejected with their names', async () => {
  const mm = shop();
  assert.throws(() => mm.resolve(['storefrnt']), (err: Error) => {
    assert.ok(err instanceof ModuleGraphError);
    assert.match(err.message, /unknown target "storefrnt"/);
    assert.match(err.message, /storefront, psp, all/, 'lists the known targets');
    return true;
  });
  const broken = new ModuleManager<Ctx>().register(mod('web', ['cache'])).defineTarget('web', ['web']);
  assert.throws(() => broken.resolve(['web']), /unknown module "cache" \(needed by web\)/);
  const ctx = { events: [] as string[] };
  await assert.rejects(broken.start(['web'], ctx), ModuleGraphError);
  assert.deepEqual(ctx.events, []);
  const badTarget = new ModuleManager<Ctx>().defineTarget('ghost', ['nothing']);
  assert.throws(() => badTarget.resolve(['ghost']), /unknown module "nothing"/);
});

test('registering the same module twice is rejected', () => {
  assert.throws(() => new ModuleManager<Ctx>().register(mod('a')).register(mod('a')), /registered twice/);
});

test('modules initialise and start in dependency order, each exactly once', async () => {
  const mm = shop();
  const ctx = { events: [] as string[] };
  const order = await mm.start(['all'], ctx);
  assert.deepEqual(order.toSorted(), ['database', 'http', 'migrations', 'psp', 'queue', 'storefront']);
  for (const kind of ['init', 'start']) {
    const seen = of(ctx.events, kind);
    assert.deepEqual(seen, order, `${kind} follows the resolved order`);
    const pos = (n: string) => seen.indexOf(n);
    assert.ok(pos('database') < pos('migrations'));
    assert.ok(pos('migrations') < pos('http') && pos('migrations') < pos('queue') && pos('migrations') < pos('psp'));
    assert.ok(pos('http') < pos('storefront') && pos('queue') < pos('storefront'));
  }
  // Every init happens before any start (a service is built before anything serves).
  assert.ok(ctx.events.lastIndexOf('init psp') < ctx.events.indexOf('start database'));
  assert.ok(mm.isRunning());
  assert.ok([...mm.states.values()].every((s) => s === 'running'));
});

test('a target only runs the modules it needs', async () => {
  const mm = shop();
  const ctx = { events: [] as string[] };
  await mm.start(['psp'], ctx);
  assert.deepEqual(of(ctx.events, 'start'), ['database', 'migrations', 'psp']);
  await mm.stop();
  assert.deepEqual(of(ctx.events, 'stop'), ['psp', 'migrations', 'database']);
});

test('stop runs in exactly the reverse of the start order', async () => {
  const mm = shop();
  const ctx = { events: [] as string[] };
  await mm.start(['all'], ctx);
  await mm.stop();
  assert.deepEqual(of(ctx.events, 'stop'), of(ctx.events, 'start').reverse());
  assert.ok([...mm.states.values()].every((s) => s === 'stopped'));
  assert.equal(mm.isRunning(), false);
  await mm.stop();
  assert.equal(of(ctx.events, 'stop').length, 6, 'a second stop does not stop anything twice');
});

test('a failing start stops what already started (in reverse) and rethrows the original error', async () => {
  const mm = shop({ queue: { start: true } });
  const ctx = { events: [] as string[] };
  await assert.rejects(mm.start(['storefront'], ctx), { message: 'queue start failed' });
  const started = of(ctx.events, 'start');
  assert.equal(started.at(-1), 'queue');
  assert.ok(!started.includes('storefront'), 'nothing starts after a failure');
  const stopped = of(ctx.events, 'stop');
  // Everything that started gets stopped, dependents first; the failed module is given the chance to
  // release what its half-done start acquired.
  assert.deepEqual(stopped.filter((n) => n !== 'queue' && n !== 'storefront'), started.filter((n) => n !== 'queue').reverse());
  assert.ok(stopped.indexOf('queue') < stopped.indexOf('migrations'));
  assert.equal(mm.states.get('queue'), 'failed');
  assert.equal(mm.isRunning(), false);
});

test('a failing init stops the services already initialised (they may hold pools) and rethrows', async () => {
  const mm = shop({ http: { init: true } });
  const ctx = { events: [] as string[] };
  await assert.rejects(mm.start(['storefront'], ctx), { message: 'http init failed' });
  assert.deepEqual(of(ctx.events, 'start'), [], 'nothing starts when an init fails');
  const initialised = of(ctx.events, 'init').filter((n) => n !== 'http');
  assert.deepEqual(of(ctx.events, 'stop'), initialised.reverse());
  assert.equal(mm.states.get('http'), 'failed');
});

test('every module of the targets is checked before any is initialised; a failing check stops start-up there', async () => {
  const checking = (name: string, dependsOn: string[], fail = false): ModuleDefinition<Ctx> => ({
    ...mod(name, dependsOn),
    check: (ctx) => {
      ctx.events.push(`check ${name}`);
      if (fail) throw new Error(`${name}: bad file`);
    },
  });
  const build = (failing: boolean) => new ModuleManager<Ctx>()
    .register(mod('database'))
    .register(checking('control', ['database'], failing))
    .register(checking('psp', ['database']))
    .defineTarget('all', ['control', 'psp']);
  const ok = { events: [] as string[] };
  await build(false).start(['all'], ok);
  assert.deepEqual(ok.events.slice(0, 3), ['check control', 'check psp', 'init database']);
  const bad = { events: [] as string[] };
  const mm = build(true);
  await assert.rejects(mm.start(['all'], bad), { message: 'control: bad file' });
  assert.deepEqual(bad.events, ['check control'], 'nothing was initialised, started or stopped');
  assert.equal(mm.isRunning(), false);
});

test('every module is stopped even when some stops fail, and the failures are reported together', async () => {
  const mm = shop({ http: { stop: true }, migrations: { stop: true } });
  const ctx = { events: [] as string[] };
  await mm.start(['all'], ctx);
  await assert.rejects(mm.stop(), (err: unknown) => {
    assert.ok(err instanceof AggregateError);
    assert.deepEqual(err.errors.map((e: Error) => e.message).toSorted(), ['http stop failed', 'migrations stop failed']);
    return true;
  });
  assert.deepEqual(of(ctx.events, 'stop'), of(ctx.events, 'start').reverse(), 'stops after a failed one still ran');
  assert.equal(mm.states.get('http'), 'failed');
  assert.equal(mm.states.get('database'), 'stopped');
});

test('a failing start still rethrows the start error when a stop also fails', async () => {
  const mm = shop({ storefront: { start: true }, database: { stop: true } });
  const ctx = { events: [] as string[] };
  await assert.rejects(mm.start(['storefront'], ctx), { message: 'storefront start failed' });
  assert.ok(of(ctx.events, 'stop').includes('database'));
});

test('modules without a service (init returns nothing) take part in ordering', async () => {
  const mm = new ModuleManager<Ctx>()
    .register({ name: 'shell', dependsOn: ['base'], init: (ctx) => { ctx.events.push('init shell'); } })
    .register(mod('base'))
    .defineTarget('t', ['shell']);
  const ctx = { events: [] as string[] };
  assert.deepEqual(await mm.start(['t'], ctx), ['base', 'shell']);
  assert.ok(mm.isRunning());
  await mm.stop();
  assert.equal(mm.states.get('shell'), 'stopped');
});

test('targets() lists every target with its modules', () => {
  assert.deepEqual(shop().targets(), [
    { name: 'storefront', modules: ['storefront'] },
    { name: 'psp', modules: ['psp'] },
    { name: 'all', modules: ['storefront', 'psp'] },
  ]);
});
