// Arguments of kinds with no module of their own: options bags, booleans, integer sizes and
// counts. An options bag is an object or nothing: `null`, a number or a string where an options
// object belongs is a TypeError at the call (as Node's validateObject), not a silent "no options",
// and not a "Cannot read properties of null" from deep inside the call. The one exception is
// DirectoryWatcher's, read as Node's fs.watch reads its own: there `null` is the defaults.

/** `options` as a call takes it: undefined (the defaults) or a non-array object. */
export function checkOptions<T extends object>(options: T | undefined, what: string): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${what} must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  return options;
}

/**
 * An options bag read the way Node's fs.watch reads its own: `null` for the bag, or for any field
 * of it, means the default, as `undefined` does (fs.watch takes a null bag and null fields; it
 * refuses only a null `signal`, which here is no signal too). Anything else that is not an object
 * is a TypeError, as in `checkOptions`. Returns the bag without its null fields, for the usual
 * field checks (which read undefined as the default).
 */
export function checkNullableOptions<T extends object>(options: T | null | undefined, what: string): { [K in keyof T]?: Exclude<T[K], null> } {
  if (options === null) return {};
  const bag = checkOptions(options, what) as Record<string, unknown>;
  const present: Record<string, unknown> = {};
  for (const key in bag) if (bag[key] !== null) present[key] = bag[key];
  return present as { [K in keyof T]?: Exclude<T[K], null> };
}

/** An optional boolean option: undefined (the default) or a boolean, nothing truthy or falsy. */
export function checkBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${value === null ? 'null' : typeof value}`);
  return value;
}

/** A size or count: an integer from `min` to `max` (a chunk size, a backlog, an exit code). */
export function checkInteger(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${value === null ? 'null' : typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

/** A path or name for the OS: a non-empty string without NUL (which would cut it short). */
export function checkPath(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${value === null ? 'null' : typeof value}`);
  if (value === '') throw new TypeError(`${what} is empty`);
  if (value.includes('\0')) throw new TypeError(`${what} contains a NUL character`);
  return value;
}

/** One of a fixed set of option values (`choices`' own keys), or `fallback` when undefined. */
export function checkChoice<K extends string>(value: unknown, what: string, choices: Readonly<Record<K, unknown>>, fallback: K): K {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !Object.hasOwn(choices, value)) {
    throw new TypeError(`${what} must be one of ${Object.keys(choices).map((k) => `'${k}'`).join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value}`);
  }
  return value as K;
}

/**
 * The check-or-reject prologue of a call that returns a promise, written once: runs `check` (the
 * argument checks); if it throws, the call's promise rejects with that error — a call that returns
 * a promise fails only through it — else the call is `run(what check returned)`.
 */
export function checkedCall<A, T>(check: () => A, run: (checked: A) => Promise<T>): Promise<T> {
  let checked: A;
  try {
    checked = check();
  } catch (error) {
    return Promise.reject(error);
  }
  return run(checked);
}
