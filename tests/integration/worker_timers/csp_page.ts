// Runs in headless Chromium, bundled by worker_timers_test.ts: workerTimers
// in a page whose Content Security Policy may forbid `blob:` workers. The
// test reads the outcome from `globalThis.stomperResult`.

import { workerTimers } from "../../../mod.ts";

/** What the page reports back to the test. */
export interface CspPageResult {
  /** `inWorker` right after creation, and once the worker had time to fail. */
  inWorkerAtFirst: boolean;
  inWorkerLater: boolean;
  /** When a 50 ms call ran, in ms after it was made; -1 if it never did. */
  firedAfter: number;
  /** What `workerTimers({ fallback: false })` threw, or "" if nothing. */
  strict: string;
}

async function run(): Promise<CspPageResult> {
  using timers = workerTimers();
  const inWorkerAtFirst = timers.inWorker;
  const start = timers.now();
  let firedAfter = -1;
  timers.setTimeout(() => firedAfter = timers.now() - start, 50);
  await new Promise((resolve) => setTimeout(resolve, 500));
  let strict = "";
  try {
    workerTimers({ fallback: false }).dispose();
  } catch (error) {
    strict = `${error}`;
  }
  return {
    inWorkerAtFirst,
    inWorkerLater: timers.inWorker,
    firedAfter,
    strict,
  };
}

(globalThis as { stomperResult?: Promise<CspPageResult> }).stomperResult =
  run();
