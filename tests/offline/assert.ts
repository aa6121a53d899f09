/**
 * Offline stand-in for the `jsr:@std/assert` functions this project's tests use,
 * for machines that cannot reach jsr.io. Signatures and semantics follow the real
 * package (deep equality as in `@std/assert/equal`); selected only by
 * `tests/offline/import_map.json`, never published.
 *
 * @module
 */

/** Error thrown when an assertion fails. */
export class AssertionError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

// deno-lint-ignore no-explicit-any
type AnyConstructor = new (...args: any[]) => any;
type GetConstructorType<T extends AnyConstructor> = InstanceType<T>;

function constructorsEqual(a: object, b: object): boolean {
  return a.constructor === b.constructor ||
    a.constructor === Object && !b.constructor ||
    !a.constructor && b.constructor === Object;
}

function isKeyedCollection(
  x: unknown,
): x is Map<unknown, unknown> | Set<unknown> {
  return x instanceof Map || x instanceof Set;
}

/**
 * Deep equality, as in `@std/assert/equal`: primitives by `Object.is`, dates and
 * regular expressions by value, typed arrays element by element, maps and sets by
 * content, other objects by constructor and own enumerable keys.
 *
 * @param c The actual value.
 * @param d The expected value.
 * @returns Whether the values are deeply equal.
 */
export function equal(c: unknown, d: unknown): boolean {
  const seen = new Map<unknown, unknown>();
  return (function compare(a: unknown, b: unknown): boolean {
    if (Object.is(a, b)) return true;
    if (a instanceof Date && b instanceof Date) {
      return Object.is(a.getTime(), b.getTime());
    }
    if (a instanceof RegExp && b instanceof RegExp) {
      return String(a) === String(b);
    }
    if (
      typeof a !== "object" || typeof b !== "object" || a === null || b === null
    ) {
      return false;
    }
    if (!constructorsEqual(a, b)) return false;
    if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
      if (a instanceof DataView || b instanceof DataView) {
        return a instanceof DataView && b instanceof DataView &&
          compare(
            new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
            new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
          );
      }
      const x = a as unknown as ArrayLike<unknown>;
      const y = b as unknown as ArrayLike<unknown>;
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) {
        if (!Object.is(x[i], y[i])) return false;
      }
      return true;
    }
    if (seen.get(a) === b) return true;
    seen.set(a, b);
    if (isKeyedCollection(a) && isKeyedCollection(b)) {
      if (a.size !== b.size) return false;
      if (a instanceof Set && b instanceof Set) {
        outer: for (const x of a) {
          if (b.has(x)) continue;
          for (const y of b) if (compare(x, y)) continue outer;
          return false;
        }
        return true;
      }
      const ma = a as Map<unknown, unknown>;
      const mb = b as Map<unknown, unknown>;
      outer: for (const [ka, va] of ma) {
        if (mb.has(ka) && compare(va, mb.get(ka))) continue;
        for (const [kb, vb] of mb) {
          if (compare(ka, kb) && compare(va, vb)) continue outer;
        }
        return false;
      }
      return true;
    }
    const ra = a as Record<PropertyKey, unknown>;
    const rb = b as Record<PropertyKey, unknown>;
    const keysA = [...Object.keys(ra), ...Object.getOwnPropertySymbols(ra)];
    const keysB = [...Object.keys(rb), ...Object.getOwnPropertySymbols(rb)];
    if (keysA.length !== keysB.length) return false;
    for (const key of keysA) {
      if (!Object.prototype.hasOwnProperty.call(rb, key)) return false;
      if (!compare(ra[key], rb[key])) return false;
    }
    if (a instanceof WeakMap || a instanceof WeakSet || a instanceof WeakRef) {
      return false;
    }
    return true;
  })(c, d);
}

function format(value: unknown): string {
  try {
    return Deno.inspect(value, {
      depth: Infinity,
      sorted: true,
      iterableLimit: 200,
    });
  } catch {
    return String(value);
  }
}

/**
 * Make an assertion, error will be thrown if `expr` does not have truthy value.
 *
 * @param expr The expression to test.
 * @param msg The optional message to display if the assertion fails.
 */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

/**
 * Make an assertion, error will be thrown if `expr` has a truthy value.
 *
 * @param expr The expression to test.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError(msg);
}

/**
 * Make an assertion that `actual` and `expected` are deeply equal.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (equal(actual, expected)) return;
  const suffix = msg ? `: ${msg}` : ".";
  throw new AssertionError(
    `Values are not equal${suffix}\n\n    [Actual] ${
      format(actual)
    }\n  [Expected] ${format(expected)}`,
  );
}

/**
 * Make an assertion that `actual` and `expected` are not deeply equal.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) return;
  const suffix = msg ? `: ${msg}` : ".";
  throw new AssertionError(
    `Expected actual: ${format(actual)} not to be: ${
      format(expected)
    }${suffix}`,
  );
}

/**
 * Make an assertion that `actual` and `expected` are strictly equal (`Object.is`).
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  if (Object.is(actual, expected)) return;
  const suffix = msg ? `: ${msg}` : ".";
  throw new AssertionError(
    `Values are not strictly equal${suffix}\n\n    [Actual] ${
      format(actual)
    }\n  [Expected] ${format(expected)}`,
  );
}

/**
 * Make an assertion that `actual` is not null or undefined.
 *
 * @param actual The actual value to check.
 * @param msg The optional message to include in the error if the assertion fails.
 */
export function assertExists<T>(
  actual: T,
  msg?: string,
): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError(
      msg ?? `Expected actual: "${actual}" to not be null or undefined.`,
    );
  }
}

/**
 * Make an assertion that `obj` is an instance of `type`.
 *
 * @param actual The object to check.
 * @param expectedType The expected class constructor.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertInstanceOf<T extends AnyConstructor>(
  actual: unknown,
  expectedType: T,
  msg = "",
): asserts actual is GetConstructorType<T> {
  if (actual instanceof expectedType) return;
  throw new AssertionError(
    msg ||
      `Expected object to be an instance of "${expectedType.name}" but was "${
        format(actual)
      }".`,
  );
}

/**
 * Make an assertion that `actual` match RegExp `expected`.
 *
 * @param actual The actual value to be matched.
 * @param expected The expected pattern to match.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertMatch(
  actual: string,
  expected: RegExp,
  msg?: string,
): void {
  if (expected.test(actual)) return;
  const suffix = msg ? `: ${msg}` : ".";
  throw new AssertionError(
    `Expected actual: "${actual}" to match: "${expected}"${suffix}`,
  );
}

/**
 * Make an assertion that `actual` is greater than `expected`.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (actual > expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} > ${format(expected)}`,
  );
}

/**
 * Make an assertion that `actual` is greater than or equal to `expected`.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertGreaterOrEqual<T>(
  actual: T,
  expected: T,
  msg?: string,
): void {
  if (actual >= expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} >= ${format(expected)}`,
  );
}

/**
 * Make an assertion that `actual` is less than or equal to `expected`.
 *
 * @param actual The actual value to compare.
 * @param expected The expected value to compare.
 * @param msg The optional message to display if the assertion fails.
 */
export function assertLessOrEqual<T>(
  actual: T,
  expected: T,
  msg?: string,
): void {
  if (actual <= expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} <= ${format(expected)}`,
  );
}

/**
 * Forcefully throws a failed assertion.
 *
 * @param msg Optional message to include in the error.
 * @returns Never returns, always throws.
 */
export function fail(msg?: string): never {
  throw new AssertionError(`Failed assertion${msg ? `: ${msg}` : "."}`);
}

function checkError<E extends Error>(
  e: unknown,
  ErrorClass?: abstract new (...args: never[]) => E,
  msgIncludes?: string,
  msg?: string,
): asserts e is E {
  const suffix = msg ? `: ${msg}` : ".";
  if (ErrorClass) {
    if (!(e instanceof Error)) {
      throw new AssertionError(`A non-Error object was thrown${suffix}`);
    }
    if (!(e instanceof ErrorClass)) {
      throw new AssertionError(
        `Expected error to be instance of "${ErrorClass.name}", but was "${e.constructor.name}"${suffix}`,
      );
    }
  }
  if (msgIncludes !== undefined) {
    const message = e instanceof Error ? e.message : String(e);
    if (!message.includes(msgIncludes)) {
      throw new AssertionError(
        `Expected error message to include ${
          JSON.stringify(msgIncludes)
        }, but got ${JSON.stringify(message)}${suffix}`,
      );
    }
  }
}

/**
 * Executes a function, expecting it to throw. If it does not, then it throws.
 *
 * @param fn The function to execute.
 * @param ErrorClass The error class to assert.
 * @param msgIncludes The string that should be included in the error message.
 * @param msg The optional message to display if the assertion fails.
 * @returns The error that was thrown.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): E {
  let error: unknown;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) {
    throw new AssertionError(
      `Expected function to throw${msg ? `: ${msg}` : "."}`,
    );
  }
  checkError(error, ErrorClass, msgIncludes, msg);
  return error as E;
}

/**
 * Executes a function which returns a promise, expecting it to reject.
 *
 * @param fn The function to execute.
 * @param ErrorClass The error class to assert.
 * @param msgIncludes The string that should be included in the error message.
 * @param msg The optional message to display if the assertion fails.
 * @returns The error that the promise rejected with.
 */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: abstract new (...args: any[]) => E,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  let error: unknown;
  let threw = false;
  try {
    await fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) {
    throw new AssertionError(
      `Expected function to reject${msg ? `: ${msg}` : "."}`,
    );
  }
  checkError(error, ErrorClass, msgIncludes, msg);
  return error as E;
}
