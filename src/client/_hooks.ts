// The callbacks of the options, run so that none can end the process or the
// connection: what one throws (or the promise it returns rejects with) is
// counted and reaches `onError` as a StompCallbackError; what `onError`
// throws, or a failure with no `onError` to take it, is written once per
// client with console.error and only counted after that. Nothing here ever
// goes to reportError or becomes an unhandled rejection.

import { StompCallbackError } from "./errors.ts";

/** The counter the hooks keep (the client's `stats.callbackErrors`). */
export interface HookCounter {
  callbackErrors: number;
}

export class Hooks {
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #counter: HookCounter;
  /** Whether the one line was written to console.error. */
  #complained = false;

  constructor(
    onError: ((error: Error) => void) | undefined,
    counter: HookCounter,
  ) {
    this.#onError = onError;
    this.#counter = counter;
  }

  /** Calls `hook(arg)`; a throw or a rejection is reported as `name`'s. */
  call<T>(name: string, hook: (arg: T) => unknown, arg: T): void {
    let result: unknown;
    try {
      result = hook(arg);
    } catch (thrown) {
      this.failed(name, thrown);
      return;
    }
    this.#watch(name, result);
  }

  /** Calls `hook(a, b)`; a throw or a rejection is reported as `name`'s. */
  call2<A, B>(name: string, hook: (a: A, b: B) => unknown, a: A, b: B): void {
    let result: unknown;
    try {
      result = hook(a, b);
    } catch (thrown) {
      this.failed(name, thrown);
      return;
    }
    this.#watch(name, result);
  }

  /** The callback `name` threw `thrown`: counted, then to `onError`. */
  failed(name: string, thrown: unknown): void {
    this.#counter.callbackErrors++;
    const error = new StompCallbackError(name, thrown);
    if (this.#onError === undefined) this.#complain(error);
    else this.error(error);
  }

  /** Hands `error` to `onError`, if there is one. */
  error(error: Error): void {
    const onError = this.#onError;
    if (onError === undefined) return;
    let result: unknown;
    try {
      result = onError(error);
    } catch (thrown) {
      this.#onErrorFailed(thrown);
      return;
    }
    if (result !== undefined) {
      watch(result, (thrown) => this.#onErrorFailed(thrown));
    }
  }

  #watch(name: string, result: unknown): void {
    // Typed as returning void, a hook may still be async.
    if (result !== undefined) {
      watch(result, (thrown) => this.failed(name, thrown));
    }
  }

  #onErrorFailed(thrown: unknown): void {
    this.#counter.callbackErrors++;
    this.#complain(new StompCallbackError("onError", thrown));
  }

  #complain(error: StompCallbackError): void {
    if (this.#complained) return;
    this.#complained = true;
    // One line: a stack trace per event would flood a log.
    console.error(
      `stomper: ${
        error.message.replace(/\s+/g, " ")
      } (the client goes on; later callback errors are only counted in stats.callbackErrors)`,
    );
  }
}

/** If `result` is a promise (or thenable), passes its rejection to `failed`. */
function watch(result: unknown, failed: (thrown: unknown) => void): void {
  if (
    result === null ||
    (typeof result !== "object" && typeof result !== "function")
  ) return;
  try {
    const then = (result as { then?: unknown }).then;
    if (typeof then === "function") {
      then.call(result, undefined, failed);
    }
  } catch (thrown) {
    failed(thrown);
  }
}
