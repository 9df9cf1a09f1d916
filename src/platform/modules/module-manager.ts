// A module manager in the style of Grafana Loki's (pkg/loki/modules.go): every module declares the
// modules it depends on and, when initialised, receives only its own slice of the configuration and the
// services of those modules, typed, and returns its service with optional start/stop. Targets are named
// sets of modules. The manager resolves a target's modules plus all their dependencies, rejects cycles
// and unknown modules, checks every module's inputs before anything is built, initialises and starts
// them in dependency order, and stops them in reverse order. A module that fails to start stops
// everything already initialised and fails the whole process.
//
// A module is declared once, as a value (defineModule), and that value is also its handle: a module names
// its dependencies by handle, `deps: { db: databaseModule }`, and its init gets `deps.db` typed as the
// database module's service. Start order comes from the declared dependencies only, never from the order
// a target lists its modules in. An `optional(handle)` dependency is ordered first when the process runs
// it and is `undefined` otherwise; it never pulls the module in.
import type { Logger } from '../observability/logger.ts';

/** What a process tells every module about itself (not configuration: facts of this run). */
export interface ModuleRuntime {
  logger: Logger;
  /** The roles this process runs, as in the `service` label of its metrics (e.g. "storefront,payments"). */
  serviceName: string;
  /** The names of the modules this process runs (all of them, known before any is initialised). */
  modules: ReadonlySet<string>;
  /** A serving process (holdfast start) waits for a database that is not reachable yet; a one-shot command fails. */
  waitForDatabase: boolean;
  lifecycle: ProcessLifecycle;
}

/** Whether the process has started all its modules, and whether it is draining (shutting down). */
export class ProcessLifecycle {
  #ready = false;
  #draining = false;
  get ready(): boolean { return this.#ready; }
  get draining(): boolean { return this.#draining; }
  markReady(): void { this.#ready = true; }
  /** From now on /readyz answers 503 and responses close their connections. */
  markDraining(): void { this.#draining = true; }
}

/** A module's running service: the value its dependents receive, plus how to start and stop it. */
export interface Running<S> {
  service: S;
  /** Begins serving. Resolves once the service is ready. */
  start?(): Promise<void>;
  /** Stops serving: finish in-flight work, release resources. */
  stop?(): Promise<void>;
}

/** A module as declared: its handle. */
export interface Module<S = unknown, C = unknown, O = unknown> {
  readonly name: string;
  readonly deps: Readonly<Record<string, Dependency>>;
  /** The declaration the manager runs (its types live in the handle's type parameters). */
  readonly definition: UntypedDefinition;
  /** Type-level only: the service this module gives its dependents. */
  readonly __service?: S;
  /** Type-level only: the configuration config() reads (a process's configuration must satisfy it). */
  readonly __config?: (config: C) => void;
  /** Type-level only: the options init accepts. */
  readonly __options?: (options: O) => void;
}

interface UntypedDefinition {
  config?: (config: never) => unknown;
  options?: object;
  check?: (ctx: never) => unknown;
  init: (ctx: never) => Running<unknown> | Promise<Running<unknown>>;
}

/** Any module, whatever it serves, reads or accepts (for lists of handles). */
export type AnyModule = Module<unknown, never, never>;

/** A module a process with configuration Config can run. */
export type ModuleFor<Config> = Module<unknown, Config, never>;

/** A dependency that is used when the process runs it, and is undefined otherwise. */
export interface OptionalDependency<M extends AnyModule = AnyModule> { readonly optional: true; readonly module: M }

export type Dependency = AnyModule | OptionalDependency;
export type DependencySpec = Record<string, Dependency>;

export type ServiceOf<D> = D extends OptionalDependency<infer M> ? ServiceOf<M> | undefined
  : D extends Module<infer S, never, never> ? S : never;

export type ServicesOf<Deps extends DependencySpec> = { readonly [K in keyof Deps]: ServiceOf<Deps[K]> };

/** The configuration a module reads (what config() takes). */
export type ConfigOf<M> = M extends { __config?: (config: infer C) => void } ? C : never;

export interface InitContext<Deps extends DependencySpec, Slice, O, Checked> {
  /** This module's slice of the configuration, as its config() made it. */
  config: Slice;
  deps: ServicesOf<Deps>;
  runtime: ModuleRuntime;
  /** What the composition root (or a test) passes this module besides the configuration, over its defaults. */
  options: O;
  /** What check() returned (undefined without a check). */
  checked: Checked;
}

export interface ModuleDefinition<Name extends string, Deps extends DependencySpec, C, Slice, S, O, Checked> {
  name: Name;
  deps?: Deps;
  /** Takes this module's slice of the process's configuration; nothing else of it reaches the module. */
  config?: (config: C) => Slice;
  /**
   * What the module accepts besides the configuration (values only the composition root or a test has:
   * the migration folders, an in-memory span exporter), with their defaults.
   */
  options?: O;
  /**
   * Checks what the module will read besides the configuration (a file the configuration names) before
   * any module of the targets is initialised, so that a bad input stops start-up before anything starts.
   * Throws to refuse; what it returns is given to init as `checked`.
   */
  check?(ctx: { config: Slice; options: O }): Checked;
  /** Builds the service. Runs after every dependency has been initialised (but before any start). */
  init(ctx: InitContext<Deps, Slice, O, Checked>): Running<S> | Promise<Running<S>>;
}

/** Declares a module; the value returned is its handle (what dependents and targets name). */
export function defineModule<const Name extends string, const Deps extends DependencySpec = Record<never, never>, C = unknown, Slice = undefined, S = undefined, O = Record<never, never>, Checked = undefined>(
  definition: ModuleDefinition<Name, Deps, C, Slice, S, O, Checked>,
): Module<S, C, O> {
  return { name: definition.name, deps: definition.deps ?? {}, definition: definition as unknown as UntypedDefinition };
}

/** A dependency on a module the process may not run: ordered before the dependent when it does, undefined when not. */
export function optional<M extends AnyModule>(module: M): OptionalDependency<M> {
  return { optional: true, module };
}

/** Options for one module (what its init receives as `options`), typed by the module's declaration. */
export interface ModuleOptions { readonly module: AnyModule; readonly options: unknown }
export function withOptions<M extends AnyModule>(module: M, options: M extends { __options?: (options: infer O) => void } ? Partial<O> : never): ModuleOptions {
  return { module, options };
}

export class ModuleGraphError extends Error {
  override name = 'ModuleGraphError';
}

export type ModuleState = 'new' | 'initialised' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

const isOptional = (d: Dependency): d is OptionalDependency => 'optional' in d && d.optional === true;
const moduleOf = (d: Dependency): AnyModule => (isOptional(d) ? d.module : d);

/**
 * Runs modules for a configuration of type Config. `modules` is every module the program has (each must
 * read a configuration Config satisfies); `targets` names sets of them.
 */
export class ModuleManager<Config> {
  readonly #modules = new Map<string, AnyModule>();
  readonly #targets = new Map<string, AnyModule[]>();
  readonly #running = new Map<string, Running<unknown>>();
  readonly #started: string[] = [];
  /** Initialised but not (yet) started, in init order: their init may already hold resources (a pool). */
  readonly #initialised: string[] = [];
  readonly states = new Map<string, ModuleState>();

  constructor(modules: readonly ModuleFor<Config>[] = [], targets: Readonly<Record<string, readonly ModuleFor<Config>[]>> = {}) {
    for (const m of modules) this.register(m);
    for (const [name, list] of Object.entries(targets)) this.defineTarget(name, list);
  }

  register(module: ModuleFor<Config>): this {
    const known = this.#modules.get(module.name);
    if (known && known !== module) throw new ModuleGraphError(`module "${module.name}" registered twice`);
    this.#modules.set(module.name, module as AnyModule);
    return this;
  }

  /** A target is a user-facing name for a set of modules (e.g. "storefront", "all"). */
  defineTarget(name: string, modules: readonly ModuleFor<Config>[]): this {
    this.#targets.set(name, [...modules] as AnyModule[]);
    return this;
  }

  targets(): { name: string; modules: string[] }[] {
    return [...this.#targets].map(([name, modules]) => ({ name, modules: modules.map((m) => m.name) }));
  }

  /**
   * The modules needed for the given targets (or module names), dependencies first; an optional
   * dependency comes first when it is needed anyway. Throws on cycles and unknown names.
   */
  resolve(targetNames: readonly string[]): string[] {
    const wanted: AnyModule[] = [];
    for (const t of targetNames) {
      const mods = this.#targets.get(t) ?? (this.#modules.has(t) ? [this.#modules.get(t)!] : undefined);
      if (!mods) {
        throw new ModuleGraphError(`unknown target "${t}"; known targets: ${[...this.#targets.keys()].join(', ')}`);
      }
      wanted.push(...mods);
    }
    // First the set of modules (required dependencies only), then their order (optional ones included).
    const members = new Set<string>();
    const collect = (m: AnyModule, neededBy?: string) => {
      const known = this.#modules.get(m.name);
      if (!known) throw new ModuleGraphError(`unknown module "${m.name}"${neededBy ? ` (needed by ${neededBy})` : ''}`);
      if (known !== m) throw new ModuleGraphError(`module "${m.name}" is declared twice (needed by ${neededBy ?? 'a target'})`);
      if (members.has(m.name)) return;
      members.add(m.name);
      for (const d of Object.values(m.deps)) if (!isOptional(d)) collect(d, m.name);
    };
    for (const m of wanted) collect(m);

    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (m: AnyModule, path: string[]) => {
      if (state.get(m.name) === 'done') return;
      if (state.get(m.name) === 'visiting') {
        throw new ModuleGraphError(`dependency cycle: ${[...path.slice(path.indexOf(m.name)), m.name].join(' -> ')}`);
      }
      state.set(m.name, 'visiting');
      for (const d of Object.values(m.deps)) {
        const dep = moduleOf(d);
        if (members.has(dep.name)) visit(this.#modules.get(dep.name)!, [...path, m.name]);
      }
      state.set(m.name, 'done');
      order.push(m.name);
    };
    for (const m of wanted) visit(m, []);
    return order;
  }

  /** The service a running (or initialised) module gives its dependents. */
  service<S>(module: Module<S, never, never>): S {
    const running = this.#running.get(module.name);
    if (!running) throw new ModuleGraphError(`module "${module.name}" is not running in this process`);
    return running.service as S;
  }

  /** Whether this process runs the module. */
  has(module: AnyModule): boolean {
    return this.#running.has(module.name);
  }

  /**
   * Checks, initialises then starts every module of the targets, in dependency order. `runtime` is
   * completed with the list of modules before anything runs. Returns the order.
   */
  async start(
    targetNames: readonly string[], config: Config,
    runtime: Omit<ModuleRuntime, 'modules'>, options: readonly ModuleOptions[] = [],
  ): Promise<string[]> {
    const order = this.resolve(targetNames);
    const fullRuntime: ModuleRuntime = { ...runtime, modules: new Set(order) };
    const optionsOf = (name: string) => Object.assign({}, this.#modules.get(name)!.definition.options,
      ...options.filter((o) => o.module.name === name).map((o) => o.options)) as Record<string, unknown>;
    const slices = new Map<string, unknown>();
    const checked = new Map<string, unknown>();
    for (const name of order) {
      const def = this.#modules.get(name)!.definition;
      const slice = def.config ? def.config(config as never) : undefined;
      slices.set(name, slice);
      checked.set(name, def.check?.({ config: slice, options: optionsOf(name) } as never));
    }
    for (const name of order) this.states.set(name, 'new');
    try {
      for (const name of order) {
        const module = this.#modules.get(name)!;
        const deps: Record<string, unknown> = {};
        for (const [key, d] of Object.entries(module.deps)) deps[key] = this.#running.get(moduleOf(d).name)?.service;
        const running = await module.definition.init({
          config: slices.get(name), deps, runtime: fullRuntime, options: optionsOf(name), checked: checked.get(name),
        } as never);
        this.#running.set(name, running);
        this.#initialised.push(name);
        this.states.set(name, 'initialised');
      }
      for (const name of order) {
        this.states.set(name, 'starting');
        await this.#running.get(name)!.start?.();
        this.#initialised.splice(this.#initialised.indexOf(name), 1);
        this.#started.push(name);
        this.states.set(name, 'running');
      }
    } catch (err) {
      const failed = order.find((n) => this.states.get(n) === 'starting' || this.states.get(n) === 'new');
      if (failed) this.states.set(failed, 'failed');
      await this.stop().catch(() => {});
      throw err;
    }
    return order;
  }

  /**
   * Stops modules in reverse dependency order, dependents before what they depend on. Besides the started
   * modules this includes those initialised but never started (a later init or a start failed): their
   * init may already hold resources such as a pool. Every module gets its stop call even if one fails.
   */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    // Started modules are a prefix of the init order, so the never-started ones come later: stop them first.
    const toStop = [...this.#initialised.splice(0).reverse(), ...this.#started.splice(0).reverse()];
    for (const name of toStop) {
      const startFailed = this.states.get(name) === 'failed';
      this.states.set(name, 'stopping');
      try {
        await this.#running.get(name)?.stop?.();
        this.states.set(name, startFailed ? 'failed' : 'stopped');
      } catch (err) {
        this.states.set(name, 'failed');
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some modules failed to stop');
  }

  isRunning(): boolean {
    return this.#started.length > 0 && [...this.states.values()].every((s) => s === 'running');
  }
}
