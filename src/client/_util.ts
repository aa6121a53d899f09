// Small helpers the client needs on every runtime it targets (Node 20 has
// no Promise.withResolvers).

/** A promise with its resolve and reject functions. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (reason: unknown) => void;
}

/** Creates a {@linkcode Deferred}, as `Promise.withResolvers` does. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Does nothing: for promises whose rejection is handled elsewhere. */
export function noop(): void {}

/** The message of an error, or the value as text. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `error` if it is an Error, else an Error saying what was thrown. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Checks an option that must be a positive number (or integer). */
export function positive(
  what: string,
  value: number,
  integer = false,
  verb = "create client",
): number {
  if (
    typeof value !== "number" || !(value > 0) || !Number.isFinite(value) ||
    (integer && !Number.isSafeInteger(value))
  ) {
    throw new RangeError(
      `Cannot ${verb}: ${what} must be a positive ${
        integer ? "integer" : "number"
      }, got ${shown(value)}`,
    );
  }
  return value;
}

/** Checks an option that must be a finite number of at least 0. */
export function nonNegative(what: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot create client: ${what} must be a non-negative number, got ${
        shown(value)
      }`,
    );
  }
  return value;
}

/** A value for a message: a string quoted, so that "100" is not read as 100. */
export function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** What a wrong argument is, for a message: a primitive shown, else its type. */
export function kind(value: unknown): string {
  return typeof value === "function"
    ? "a function"
    : typeof value === "object" && value !== null
    ? "an object"
    : shown(value);
}
