/**
 * {@linkcode workerTimers}: the client's clock in a dedicated Worker, so
 * heart-beats keep going in a browser tab that is hidden.
 *
 * @module
 */

import type { StompTimers } from "./options.ts";

/** Options of {@linkcode workerTimers}. */
export interface WorkerTimersOptions {
  /**
   * What to do where no Worker can run the timers (no `Worker`, `Blob` or
   * `URL.createObjectURL`, as in Node; a worker that fails to start, as under
   * a Content Security Policy without `worker-src blob:`): `true` runs them
   * on the runtime's own `setTimeout`, `false` makes {@linkcode workerTimers}
   * throw a `TypeError` when an API is missing or the worker cannot be
   * constructed. A worker that fails once constructed falls back either way,
   * so that no pending call is lost: Chromium constructs a worker its
   * Content Security Policy refuses, and reports the refusal a moment later.
   *
   * @default {true}
   */
  fallback?: boolean | undefined;
}

/**
 * Timers for the client's `timers` option that run in a dedicated Worker;
 * see {@linkcode workerTimers}.
 */
export interface WorkerTimers extends StompTimers, Disposable {
  /**
   * Whether a Worker runs the timers now: false where it fell back to the
   * runtime's own timers, and after {@linkcode WorkerTimers.dispose}.
   */
  readonly inWorker: boolean;
  /**
   * Terminates the worker. Calls still pending, and any made later, run on
   * the runtime's own timers, so a client still using these timers keeps
   * working. Calling it again does nothing.
   */
  dispose(): void;
}

// The worker: [id, delay] arms a timer, [id, -1] cancels it; it posts the id
// of each timer that fires, and 0 once it runs. Valid as a classic script
// (browsers) and as a module (Deno supports only module workers); written
// small, since bundlers do not minify a string.
const WORKER_SOURCE = "const t=new Map;" +
  "onmessage=({data:[i,d]})=>{if(d<0){clearTimeout(t.get(i));t.delete(i)}" +
  "else t.set(i,setTimeout(()=>{t.delete(i);postMessage(i)},d))};" +
  "postMessage(0)";

interface Pending {
  readonly callback: () => void;
  readonly at: number;
  /** The runtime's handle, once the call runs on the runtime's timers. */
  local?: ReturnType<typeof setTimeout>;
}

const now = () => performance.now();

/**
 * Makes timers for the client's `timers` option that run in a dedicated
 * Worker, created from an in-memory script (a Blob URL: no file to serve).
 * Browsers throttle the timers of a hidden tab (Chrome to one wake-up a
 * second, then after some minutes to one a minute), which stops the
 * client's heart-beats until the broker drops the connection; a dedicated
 * worker's timers are not throttled that way, and their calls reach the page
 * as messages, which are not throttled either. `now()` is the page's
 * `performance.now()`.
 *
 * Where no Worker can run them (Node, or a page whose Content Security
 * Policy forbids `blob:` workers), the timers fall back to the runtime's own
 * (see {@linkcode WorkerTimersOptions.fallback}). Give one to each client, or
 * share one between clients, and dispose of it once they are closed: it
 * terminates the worker.
 *
 * @example Heart-beats on worker timers
 * ```ts
 * import { StompClient, workerTimers } from "@stomper/stomp/client";
 * import { StompTestBroker } from "@stomper/stomp/testing";
 * import { assert } from "@std/assert";
 *
 * await using broker = StompTestBroker.listen({ heartBeat: [0, 100] });
 * using timers = workerTimers();
 * assert(timers.inWorker);
 * await using client = await StompClient.connectUrl(broker.url, {
 *   heartBeat: [100, 0],
 *   timers,
 * });
 * await new Promise((resolve) => setTimeout(resolve, 500));
 * assert(broker.heartbeatsReceived >= 3);
 * assert(client.state === "connected");
 * ```
 *
 * @example Where there is no Worker
 * ```ts
 * import { workerTimers } from "@stomper/stomp/client";
 * import { assert, assertThrows } from "@std/assert";
 *
 * const saved = globalThis.Worker;
 * // @ts-ignore: a runtime without workers, as Node is
 * delete globalThis.Worker;
 * try {
 *   using timers = workerTimers();
 *   assert(!timers.inWorker);
 *   assertThrows(() => workerTimers({ fallback: false }), TypeError);
 * } finally {
 *   globalThis.Worker = saved;
 * }
 * ```
 *
 * @param options Whether to fall back to the runtime's timers.
 * @returns The timers; dispose of them to terminate the worker.
 * @throws {TypeError} With `fallback: false`, where `Worker`, `Blob` or
 * `URL.createObjectURL` is missing, or the worker cannot be constructed.
 */
export function workerTimers(options: WorkerTimersOptions = {}): WorkerTimers {
  const fallback = options.fallback ?? true;
  const missing = typeof Worker !== "function"
    ? "Worker"
    : typeof Blob !== "function"
    ? "Blob"
    : typeof URL?.createObjectURL !== "function"
    ? "URL.createObjectURL"
    : undefined;
  if (missing !== undefined && !fallback) {
    throw new TypeError(
      `Cannot create worker timers: this runtime has no "${missing}"`,
    );
  }

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let worker: Worker | undefined;
  let url: string | undefined;

  const revoke = () => {
    if (url !== undefined) URL.revokeObjectURL(url);
    url = undefined;
  };
  const fire = (id: number) => {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    entry.callback();
  };
  const runLocally = (id: number, entry: Pending) => {
    entry.local = setTimeout(() => fire(id), Math.max(0, entry.at - now()));
  };
  // Moves every call still waiting on the worker to the runtime's timers.
  const stopWorker = () => {
    if (worker === undefined) return;
    worker.terminate();
    worker = undefined;
    revoke();
    for (const [id, entry] of pending) {
      if (entry.local === undefined) runLocally(id, entry);
    }
  };

  if (missing === undefined) {
    url = URL.createObjectURL(
      new Blob([WORKER_SOURCE], { type: "text/javascript" }),
    );
    const started = startWorker(url);
    if (started instanceof Worker) {
      worker = started;
      worker.onmessage = ({ data }: MessageEvent<number>) => {
        if (data === 0) revoke();
        else fire(data);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        stopWorker();
      };
    } else {
      revoke();
      if (!fallback) {
        throw new TypeError(
          `Cannot create worker timers: the worker did not start: ${started}`,
        );
      }
    }
  }

  return {
    setTimeout(callback: () => void, delay: number): number {
      const id = nextId++;
      const ms = Number.isFinite(delay) ? Math.max(0, delay) : 0;
      const entry: Pending = { callback, at: now() + ms };
      pending.set(id, entry);
      if (worker === undefined) runLocally(id, entry);
      else worker.postMessage([id, ms]);
      return id;
    },
    clearTimeout(handle: unknown): void {
      const id = handle as number;
      const entry = pending.get(id);
      if (entry === undefined) return;
      pending.delete(id);
      if (entry.local !== undefined) clearTimeout(entry.local);
      else worker?.postMessage([id, -1]);
    },
    now,
    get inWorker(): boolean {
      return worker !== undefined;
    },
    dispose: stopWorker,
    [Symbol.dispose]: stopWorker,
  };
}

// Browsers run classic workers everywhere and module workers only lately;
// Deno runs only module workers. The script is valid as either. Returns the
// worker, or why the last kind failed to start.
function startWorker(url: string): Worker | unknown {
  let error: unknown;
  for (const type of ["classic", "module"] as const) {
    try {
      return new Worker(url, { type });
    } catch (cause) {
      // A runtime without this kind of worker, or a policy that forbids it.
      error = cause;
    }
  }
  return error;
}
