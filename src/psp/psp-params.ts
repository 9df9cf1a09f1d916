// Reading Stripe request parameters with Stripe's validation errors: every parameter a handler reads is
// marked; whatever is left over is "Received unknown parameter".
import type { FormObject, FormValue } from './stripe-form.ts';
import { StripeErrors } from './stripe-errors.ts';

export class Params {
  readonly #values: FormObject;
  readonly #seen = new Set<string>();

  constructor(values: FormObject) {
    this.#values = values;
  }

  has(name: string): boolean {
    return this.#own(name) !== undefined;
  }

  raw(name: string): FormValue | undefined {
    this.#seen.add(name);
    return this.#own(name);
  }

  /** The client's value for name: never one inherited from Object.prototype (constructor, toString...). */
  #own(name: string): FormValue | undefined {
    return Object.hasOwn(this.#values, name) ? this.#values[name] : undefined;
  }

  string(name: string, opts: { required?: boolean; maxLength?: number; oneOf?: readonly string[] } = {}): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === '') {
      if (opts.required) throw StripeErrors.parameterMissing(this.qualify(name));
      return undefined;
    }
    if (typeof v !== 'string') throw StripeErrors.invalidString(this.qualify(name), `Invalid string: ${name} must be a string, not a hash or array.`);
    if (opts.maxLength && v.length > opts.maxLength) {
      throw StripeErrors.invalidString(this.qualify(name), `Invalid string: ${v.slice(0, 20)}...; must be at most ${opts.maxLength} characters`);
    }
    if (opts.oneOf && !opts.oneOf.includes(v)) {
      throw StripeErrors.invalidRequest(`Invalid ${name}: must be one of ${opts.oneOf.join(', ')}`, this.qualify(name));
    }
    return v;
  }

  integer(name: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined || v === '') {
      if (opts.required) throw StripeErrors.parameterMissing(this.qualify(name));
      return undefined;
    }
    if (typeof v !== 'string' || !/^-?\d{1,16}$/.test(v)) throw StripeErrors.invalidInteger(this.qualify(name), v);
    const n = Number(v);
    if (opts.min !== undefined && n < opts.min) {
      throw StripeErrors.invalidRequest(`This value must be greater than or equal to ${opts.min}.`, this.qualify(name), 'parameter_invalid_integer');
    }
    if (opts.max !== undefined && n > opts.max) {
      throw StripeErrors.invalidRequest(`This value must be less than or equal to ${opts.max}.`, this.qualify(name), 'parameter_invalid_integer');
    }
    return n;
  }

  boolean(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v === undefined || v === '') return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw StripeErrors.invalidBoolean(this.qualify(name), v);
  }

  /** A hash of strings (metadata): at most 50 keys of up to 40 characters, values up to 500. */
  metadata(name = 'metadata'): Record<string, string> | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (v === '') return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw StripeErrors.invalidRequest(`Invalid hash`, this.qualify(name));
    const kept: [string, string][] = [];
    for (const [key, value] of Object.entries(v)) {
      if (typeof value !== 'string') throw StripeErrors.invalidRequest(`Invalid value for ${name}[${key}]: metadata values must be strings`, `${this.qualify(name)}[${key}]`);
      if (key.length > 40) throw StripeErrors.invalidRequest(`Metadata keys can have up to 40 characters; "${key.slice(0, 40)}..." has ${key.length}.`, `${this.qualify(name)}[${key}]`);
      if (value.length > 500) throw StripeErrors.invalidRequest(`Metadata values can have up to 500 characters, but you passed in a value that is ${value.length} characters.`, `${this.qualify(name)}[${key}]`);
      if (value !== '') kept.push([key, value]); // an empty value unsets the key
    }
    if (kept.length > 50) throw StripeErrors.invalidRequest('You can have up to 50 metadata keys.', this.qualify(name));
    // Stripe allows any key without square brackets, `__proto__` included: fromEntries defines each as an
    // own property, where `out[key] = value` would hand `__proto__` to Object.prototype's setter.
    return Object.fromEntries(kept);
  }

  stringArray(name: string): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (v === '') return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw StripeErrors.invalidRequest(`Invalid array`, this.qualify(name));
    return v as string[];
  }

  /** A hash of sub-parameters, read with its own Params (unknown sub-keys are reported as name[key]). */
  hash(name: string): Params | undefined {
    const v = this.raw(name);
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw StripeErrors.invalidRequest(`Invalid hash`, this.qualify(name));
    return new NestedParams(v, this.qualify(name));
  }

  /** Rejects parameters nobody read. */
  done(): void {
    for (const key of Object.keys(this.#values)) {
      if (!this.#seen.has(key)) throw StripeErrors.parameterUnknown(this.qualify(key));
    }
  }

  protected qualify(key: string): string {
    return key;
  }
}

class NestedParams extends Params {
  readonly #prefix: string;
  constructor(values: FormObject, prefix: string) {
    super(values);
    this.#prefix = prefix;
  }
  protected override qualify(key: string): string {
    return `${this.#prefix}[${key}]`;
  }
}
