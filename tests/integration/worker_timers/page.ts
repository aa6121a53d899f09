// Runs in headless Chromium, bundled by worker_timers_test.ts with `deno
// bundle --platform browser`: StompClients with client heart-beats every
// 1000 ms, in pairs, one on workerTimers() and one on the page's own timers:
// a pair to two test brokers over WebSocket (each its own, which counts the
// heart-beats it gets), a pair to RabbitMQ Web-STOMP. A chain of 250 ms page
// timers measures how much the page is throttled. The test reads
// `globalThis.stomperResult` (all connected), then
// `globalThis.stomperSnapshot()` as it goes and
// `globalThis.stomperRoundTrip()` (a SEND with a receipt to RabbitMQ on worker
// timers) at the end.

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
  /** The clients to RabbitMQ, on worker timers and on the page's. */
  rabbitmqWorker: { state: StompClientState; heartBeatSend: number };
  rabbitmqPage: { state: StompClientState; heartBeatSend: number };
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
  const rabbitmq = {
    ...options,
    login: "guest",
    passcode: "guest",
  };
  const [onWorker, onPage, rabbitmqWorker, rabbitmqPage] = await Promise.all([
    StompClient.connectUrl(params.get("worker")!, { ...options, timers }),
    StompClient.connectUrl(params.get("page")!, options),
    StompClient.connectUrl(params.get("rabbitmq")!, { ...rabbitmq, timers }),
    StompClient.connectUrl(params.get("rabbitmq")!, rabbitmq),
  ]);
  const queue = params.get("queue")!;
  (globalThis as { stomperRoundTrip?: () => Promise<string> })
    .stomperRoundTrip = () =>
      rabbitmqWorker.send(queue, "still here", { receipt: true }).then(
        () => "ok",
        (error) => `${error}`,
      );
  (globalThis as { stomperSnapshot?: () => WorkerTimersSnapshot })
    .stomperSnapshot = () => ({
      visibility: document.visibilityState,
      worker: {
        state: onWorker.state,
        inWorker: timers.inWorker,
        heartBeatSend: onWorker.heartBeat.send,
      },
      page: { state: onPage.state, heartBeatSend: onPage.heartBeat.send },
      rabbitmqWorker: {
        state: rabbitmqWorker.state,
        heartBeatSend: rabbitmqWorker.heartBeat.send,
      },
      rabbitmqPage: {
        state: rabbitmqPage.state,
        heartBeatSend: rabbitmqPage.heartBeat.send,
      },
      pageTicks,
      now: performance.now(),
    });
}

(globalThis as { stomperResult?: Promise<void> }).stomperResult = run();
