// Small helpers the client needs on every runtime it targets (Node 20 has
// neither Promise.withResolvers nor reportError).

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

/**
 * Reports an error thrown by user code (a callback) without letting it break
 * the client: through `reportError` where the runtime has it, otherwise as
 * an uncaught exception on a later turn. Either way it is loud.
 */
export function report(error: unknown): void {
  const global = globalThis as { reportError?: (error: unknown) => void };
  if (typeof global.reportError === "function") {
    global.reportError(error);
  } else {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
