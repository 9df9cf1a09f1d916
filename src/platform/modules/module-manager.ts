// A module manager in the style of Grafana Loki's: every module names the modules it depends on and, when
// initialised, returns a service with optional start/stop. Targets are named sets of modules. The manager
// resolves a target's modules plus all their dependencies, rejects cycles and unknown names, initialises
// and starts them in dependency order, and stops them in reverse order. A module that fails to start
// stops everything already started and fails the whole process.

export interface Service {
  /** Begins serving. Resolves once the service is ready. */
  start?(): Promise<void>;
  /** Stops serving: finish in-flight work, release resources. */
  stop?(): Promise<void>;
}

export interface ModuleDefinition<Ctx> {
  name: string;
  dependsOn?: string[];
  /**
   * Checks what the module will read besides the config (a file the config names) before any module of
   * the targets is initialised, so that a bad input stops start-up before anything starts. Throws to refuse.
   */
  check?(ctx: Ctx): void;
  /** Builds the service. Runs after every dependency has been initialised (but before any start). */
  init(ctx: Ctx): Promise<Service | void> | Service | void;
}

export class ModuleGraphError extends Error {
  override name = 'ModuleGraphError';
}

export type ModuleState = 'new' | 'initialised' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export class ModuleManager<Ctx> {
  readonly #modules = new Map<string, ModuleDefinition<Ctx>>();
  readonly #targets = new Map<string, string[]>();
  readonly #services = new Map<string, Service>();
  readonly #started: string[] = [];
  /** Initialised but not (yet) started, in init order: their init may already hold resources (a pool). */
  readonly #initialised: string[] = [];
  readonly states = new Map<string, ModuleState>();

  register(def: ModuleDefinition<Ctx>): this {
    if (this.#modules.has(def.name)) throw new ModuleGraphError(`module "${def.name}" registered twice`);
    this.#modules.set(def.name, def);
    return this;
  }

  /** A target is a user-facing name for a set of modules (e.g. "storefront", "all"). */
  defineTarget(name: string, modules: string[]): this {
    this.#targets.set(name, modules);
    return this;
  }

  targets(): { name: string; modules: string[] }[] {
    return [...this.#targets].map(([name, modules]) => ({ name, modules }));
  }

  /** The modules needed for the given targets, dependencies first. Throws on cycles and unknown names. */
  resolve(targetNames: string[]): string[] {
    const wanted: string[] = [];
    for (const t of targetNames) {
      const mods = this.#targets.get(t) ?? (this.#modules.has(t) ? [t] : undefined);
      if (!mods) {
        throw new ModuleGraphError(`unknown target "${t}"; known targets: ${[...this.#targets.keys()].join(', ')}`);
      }
      wanted.push(...mods);
    }
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]) => {
      const def = this.#modules.get(name);
      if (!def) throw new ModuleGraphError(`unknown module "${name}"${path.length ? ` (needed by ${path.at(-1)})` : ''}`);
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        throw new ModuleGraphError(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
      }
      state.set(name, 'visiting');
      for (const dep of def.dependsOn ?? []) visit(dep, [...path, name]);
      state.set(name, 'done');
      order.push(name);
    };
    for (const name of wanted) visit(name, []);
    return order;
  }

  /** Checks, initialises then starts every module of the targets, in dependency order. */
  async start(targetNames: string[], ctx: Ctx): Promise<string[]> {
    const order = this.resolve(targetNames);
    for (const name of order) this.#modules.get(name)!.check?.(ctx);
    for (const name of order) this.states.set(name, 'new');
    try {
      for (const name of order) {
        const service = (await this.#modules.get(name)!.init(ctx)) ?? {};
        this.#services.set(name, service);
        this.#initialised.push(name);
        this.states.set(name, 'initialised');
      }
      for (const name of order) {
        this.states.set(name, 'starting');
        await this.#services.get(name)!.start?.();
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
        await this.#services.get(name)?.stop?.();
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
