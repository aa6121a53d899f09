// Runs in headless Chromium, bundled by worker_timers_test.ts with `deno
// bundle --platform browser`: two StompClients with client heart-beats each
// 1000 ms, one on workerTimers() and one on the page's own timers, each to
// its own test broker over WebSocket; a chain of 250 ms page timers measures
// how much the page is throttled. The test reads `globalThis.stomperResult`
// (both connected) and then `globalThis.stomperSnapshot()` as it goes.

import {
  StompClient,
  type StompClientState,
  workerTimers,
} from "../../../mod.ts";

/** What `stomperSnapshot()` returns. */
export interface WorkerTimersSnapshot {
  /** `document.visibilityState`. */
  visibility: string;
  /** The client on worker timers. */
  worker: { state: StompClientState; inWorker: boolean; heartBeatSend: number };
  /** The client on the page's own timers. */
  page: { state: StompClientState; heartBeatSend: number };
  /** `performance.now()` of each run of the 250 ms page-timer chain. */
  pageTicks: number[];
  /** The page's `performance.now()` when the snapshot was taken. */
  now: number;
}

// Typed here rather than with the DOM library, which clashes with Deno's.
declare const document: { readonly visibilityState: string };

const pageTicks: number[] = [];
function tick() {
  pageTicks.push(performance.now());
  setTimeout(tick, 250);
}

async function run(): Promise<void> {
  tick();
  const params = new URL(location.href).searchParams;
  const timers = workerTimers();
  const options = {
    heartBeat: [1000, 0] as [number, number],
    // The broker ends a connection it drops; nothing to report here.
    onError: () => {},
  };
  const [onWorker, onPage] = await Promise.all([
    StompClient.connectUrl(params.get("worker")!, { ...options, timers }),
    StompClient.connectUrl(params.get("page")!, options),
  ]);
  (globalThis as { stomperSnapshot?: () => WorkerTimersSnapshot })
    .stomperSnapshot = () => ({
      visibility: document.visibilityState,
      worker: {
        state: onWorker.state,
        inWorker: timers.inWorker,
        heartBeatSend: onWorker.heartBeat.send,
      },
      page: { state: onPage.state, heartBeatSend: onPage.heartBeat.send },
      pageTicks,
      now: performance.now(),
    });
}

(globalThis as { stomperResult?: Promise<void> }).stomperResult = run();
