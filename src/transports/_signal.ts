/**
 * Connection deadlines shared by the transports.
 *
 * @module
 */

import { TransportConnectError } from "./errors.ts";

/** The default connect timeout, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** The deadline of one connection attempt: its signal, and a way to end it. */
export interface ConnectDeadline {
  /** Aborts on the caller's signal or at the timeout; none without either. */
  readonly signal: AbortSignal | undefined;
  /**
   * Stops the timer: called once the attempt has ended, opened or failed,
   * so that nothing of it lives on for the rest of the timeout.
   */
  clear(): void;
}

/**
 * A deadline for a connection attempt: a signal that aborts on the caller's
 * signal or after the timeout, with a timer that can be cleared (unlike
 * `AbortSignal.timeout`, which holds its timer and signal for the whole
 * timeout however soon the transport opened).
 *
 * @param options The caller's signal and timeout (0 is none).
 * @param what What is being attempted, for the error message.
 * @returns The deadline; {@linkcode ConnectDeadline.clear} it when done.
 */
export function connectSignal(
  options: { signal?: AbortSignal | undefined; timeout?: number | undefined },
  what: string,
): ConnectDeadline {
  const timeout = options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
  if (typeof timeout !== "number" || !(timeout >= 0) || timeout === Infinity) {
    throw new RangeError(
      `Cannot ${what}: timeout must be a non-negative number of milliseconds, got ${timeout}`,
    );
  }
  const caller = options.signal;
  if (timeout === 0) return { signal: caller, clear: noop };
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new DOMException("Signal timed out.", "TimeoutError"),
      ),
    timeout,
  );
  return {
    signal: caller === undefined
      ? controller.signal
      : AbortSignal.any([caller, controller.signal]),
    clear: () => clearTimeout(timer),
  };
}

function noop(): void {}

/**
 * Why a signal aborted, in words: a timeout or the caller's abort.
 *
 * @param signal An aborted signal.
 * @param timeout The timeout that was set.
 * @returns A phrase such as "timed out after 10000 ms".
 */
export function abortPhrase(signal: AbortSignal, timeout?: number): string {
  const reason = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return `timed out after ${timeout ?? DEFAULT_CONNECT_TIMEOUT} ms`;
  }
  return `aborted (${reason instanceof Error ? reason.message : reason})`;
}

/**
 * Waits for a resource being opened, or for the signal to abort first; a
 * resource that arrives after the abort is disposed of.
 *
 * @param pending The resource being opened.
 * @param signal Aborts the wait.
 * @param dispose Releases a resource that arrived too late.
 * @returns The resource.
 */
export function raceSignal<T>(
  pending: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (resource: T) => void,
): Promise<T> {
  if (signal === undefined) return pending;
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (resource) => {
        signal.removeEventListener("abort", onAbort);
        if (aborted) dispose(resource);
        else resolve(resource);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The error of a connection that could not be made: why the signal aborted
 * (a timeout or the caller's abort), or else what went wrong, in words.
 *
 * @param name The target as the caller named it (a URL or host and port).
 * @param url The URL the error reports.
 * @param signal The connect signal, if any.
 * @param timeout The timeout that was set.
 * @param cause What failed.
 * @param describe Puts a failure that is not an abort in words.
 * @returns The error to throw.
 */
export function connectFailure(
  name: string,
  url: string,
  signal: AbortSignal | undefined,
  timeout: number | undefined,
  cause: unknown,
  describe: (cause: unknown) => string,
): TransportConnectError {
  const aborted = signal?.aborted === true;
  return new TransportConnectError(
    `Cannot connect to ${JSON.stringify(name)}: ${
      aborted ? abortPhrase(signal, timeout) : describe(cause)
    }`,
    { url, cause: aborted ? signal.reason : cause },
  );
}

/**
 * What to add to a connect error that says no file descriptor was left: in
 * this process (`EMFILE`: a leak, or `ulimit -n` set low by a supervisor) or
 * in the whole system (`ENFILE`). Empty for any other error.
 */
export function fileLimitHint(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "EMFILE") {
    return "; the process has as many files and sockets open as its limit allows (ulimit -n)";
  }
  if (code === "ENFILE") {
    return "; the system has as many files open as its limit allows (fs.file-max)";
  }
  return "";
}
