// workerTimers in Deno, which has module Workers and Blob URLs: calls run in
// a real dedicated Worker, a StompClient's heart-beats reach the test broker
// on them, and where no Worker can run them they fall back (or throw). The
// browser (a hidden, throttled tab) is tests/integration/worker_timers_test.ts.

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertThrows,
} from "@std/assert";
import { StompClient, workerTimers } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { eventually, sleep } from "./_helpers.ts";

/** Replaces `globalThis[name]` for the length of `body`. */
async function withGlobal<T>(
  name: string,
  value: unknown,
  body: () => T | Promise<T>,
): Promise<T> {
  const global = globalThis as Record<string, unknown>;
  const had = Object.hasOwn(global, name);
  const saved = global[name];
  if (value === undefined) delete global[name];
  else global[name] = value;
  try {
    return await body();
  } finally {
    if (had) global[name] = saved;
    else delete global[name];
  }
}

Deno.test("workerTimers runs each call once, in time order, no earlier than its delay", async () => {
  using timers = workerTimers();
  assert(timers.inWorker);
  const start = timers.now();
  const fired: [string, number][] = [];
  for (const [name, delay] of [["c", 60], ["a", 20], ["b", 40]] as const) {
    timers.setTimeout(() => fired.push([name, timers.now() - start]), delay);
  }
  await eventually(() => fired.length === 3, 2000, "three calls");
  await sleep(100);
  assertEquals(fired.map(([name]) => name), ["a", "b", "c"]);
  for (const [name, at] of fired) {
    const delay = { a: 20, b: 40, c: 60 }[name]!;
    assertGreaterOrEqual(at, delay - 1, `${name} fired at ${at} ms`);
  }
});

Deno.test("workerTimers schedules in the Worker, not on the runtime's setTimeout", async () => {
  using timers = workerTimers();
  const realSetTimeout = globalThis.setTimeout;
  let local = 0;
  let fired = 0;
  await withGlobal(
    "setTimeout",
    (...args: Parameters<typeof setTimeout>) => {
      local++;
      return realSetTimeout(...args);
    },
    async () => {
      for (let i = 0; i < 20; i++) timers.setTimeout(() => fired++, 5 * i);
      const deadline = Date.now() + 2000;
      while (fired < 20 && Date.now() < deadline) {
        await new Promise((resolve) => realSetTimeout(resolve, 5));
      }
    },
  );
  assertEquals(fired, 20);
  // The waiting loop above calls the real setTimeout directly.
  assertEquals(local, 0);
});

Deno.test("workerTimers clearTimeout cancels a pending call and ignores unknown handles", async () => {
  using timers = workerTimers();
  const fired: string[] = [];
  const cancelled = timers.setTimeout(() => fired.push("cancelled"), 20);
  timers.setTimeout(() => fired.push("kept"), 40);
  timers.clearTimeout(cancelled);
  timers.clearTimeout(cancelled);
  timers.clearTimeout(12345);
  timers.clearTimeout(undefined);
  await eventually(() => fired.length === 1, 2000, "the kept call");
  await sleep(60);
  assertEquals(fired, ["kept"]);
});

Deno.test("workerTimers handles are never undefined and never repeat", () => {
  using timers = workerTimers();
  const handles = new Set<unknown>();
  for (let i = 0; i < 100; i++) {
    const handle = timers.setTimeout(() => {}, 1000);
    assert(handle !== undefined);
    handles.add(handle);
    timers.clearTimeout(handle);
  }
  assertEquals(handles.size, 100);
});

Deno.test("workerTimers dispose terminates the worker; pending and later calls run on the runtime's timers", async () => {
  const timers = workerTimers();
  assert(timers.inWorker);
  const start = timers.now();
  const fired: [string, number][] = [];
  timers.setTimeout(() => fired.push(["pending", timers.now() - start]), 80);
  const cancelled = timers.setTimeout(() => fired.push(["cancelled", 0]), 90);
  timers.dispose();
  assert(!timers.inWorker);
  timers.dispose();
  timers[Symbol.dispose]();
  timers.clearTimeout(cancelled);
  timers.setTimeout(() => fired.push(["later", timers.now() - start]), 10);
  await eventually(() => fired.length === 2, 2000, "two calls");
  await sleep(120);
  assertEquals(fired.map(([name]) => name), ["later", "pending"]);
  // The pending call keeps its due time, not a fresh delay.
  assertGreaterOrEqual(fired[1]![1], 79);
  assertLessOrEqual(fired[1]![1], 400);
});

Deno.test("workerTimers falls back to the runtime's timers without Worker (global removed)", async () => {
  await withGlobal("Worker", undefined, async () => {
    using timers = workerTimers();
    assert(!timers.inWorker);
    let fired = false;
    timers.setTimeout(() => fired = true, 10);
    await eventually(() => fired, 2000, "the call");
    const error = assertThrows(
      () => workerTimers({ fallback: false }),
      TypeError,
    );
    assertEquals(
      error.message,
      'Cannot create worker timers: this runtime has no "Worker"',
    );
  });
});

Deno.test("workerTimers with fallback: false names each missing API (globals removed)", async () => {
  await withGlobal("Blob", undefined, () => {
    assertThrows(
      () => workerTimers({ fallback: false }),
      TypeError,
      'Cannot create worker timers: this runtime has no "Blob"',
    );
  });
  const createObjectURL = URL.createObjectURL;
  try {
    // @ts-ignore: a runtime without Blob URLs
    delete URL.createObjectURL;
    assertThrows(
      () => workerTimers({ fallback: false }),
      TypeError,
      'Cannot create worker timers: this runtime has no "URL.createObjectURL"',
    );
    using timers = workerTimers();
    assert(!timers.inWorker);
  } finally {
    URL.createObjectURL = createObjectURL;
  }
});

Deno.test("workerTimers falls back when the Worker constructor throws (stand-in constructor)", async () => {
  const refuse = function () {
    throw new DOMException("Refused by policy", "SecurityError");
  };
  let revoked = 0;
  const revokeObjectURL = URL.revokeObjectURL;
  URL.revokeObjectURL = (url) => {
    revoked++;
    revokeObjectURL(url);
  };
  try {
    await withGlobal("Worker", refuse, async () => {
      using timers = workerTimers();
      assert(!timers.inWorker);
      let fired = false;
      timers.setTimeout(() => fired = true, 10);
      await eventually(() => fired, 2000, "the call");
      assertThrows(
        () => workerTimers({ fallback: false }),
        TypeError,
        "Cannot create worker timers: the worker did not start: SecurityError: Refused by policy",
      );
    });
  } finally {
    URL.revokeObjectURL = revokeObjectURL;
  }
  // Both Blob URLs were given back.
  assertEquals(revoked, 2);
});

Deno.test("workerTimers moves pending calls to the runtime's timers when the worker fails (stand-in worker)", async () => {
  // A worker that never answers and then reports an error, as a script
  // blocked by a Content Security Policy does in a browser.
  let failing: EventTarget & { onerror?: (event: Event) => void } | undefined;
  let terminated = false;
  class FailingWorker extends EventTarget {
    onmessage: unknown = null;
    onerror: ((event: Event) => void) | null = null;
    constructor() {
      super();
      failing = this as never;
    }
    postMessage() {}
    terminate() {
      terminated = true;
    }
  }
  await withGlobal("Worker", FailingWorker, async () => {
    using timers = workerTimers();
    assert(timers.inWorker);
    const start = timers.now();
    const fired: number[] = [];
    timers.setTimeout(() => fired.push(timers.now() - start), 60);
    const event = new Event("error", { cancelable: true });
    failing!.onerror!(event);
    assert(event.defaultPrevented);
    assert(terminated);
    assert(!timers.inWorker);
    await eventually(() => fired.length === 1, 2000, "the moved call");
    assertGreaterOrEqual(fired[0]!, 59);
  });
});

Deno.test("workerTimers drives StompClient heart-beats at the negotiated rate", async () => {
  await using broker = StompTestBroker.listen({ heartBeat: [0, 100] });
  using timers = workerTimers();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [100, 0],
    timers,
  });
  assertEquals(client.heartBeat, { send: 100, receive: 0 });
  const before = broker.heartbeatsReceived;
  const start = performance.now();
  await sleep(1000);
  const beats = broker.heartbeatsReceived - before;
  const elapsed = performance.now() - start;
  // One beat per 80 to 100 ms of idle link (sent at 0.8 of the interval).
  assertGreaterOrEqual(beats, Math.floor(elapsed / 100) - 1);
  assertLessOrEqual(beats, Math.ceil(elapsed / 80) + 2);
  assertEquals(client.state, "connected");
});
