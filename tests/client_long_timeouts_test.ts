// Timeouts longer than a runtime's timer can wait. Runtimes cap a delay at
// 2^31-1 ms (about 24.8 days) and fire a longer one after about 1 ms, with a
// TimeoutOverflowWarning: a `connectTimeout` of 30 days failed the connection
// at once, and a request given 30 days armed a timer every millisecond. The
// client waits such a delay out in steps instead.

import { assertEquals, assertRejects } from "@std/assert";
import { StompClient, type StompTimers } from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

const MAX_DELAY = 2 ** 31 - 1;
const THIRTY_DAYS = 30 * 86_400_000;

/** The runtime's timers, counting the delays too long for them. */
function watchedTimers(): StompTimers & { readonly overflows: number[] } {
  const overflows: number[] = [];
  return {
    overflows,
    setTimeout(callback, delay) {
      if (delay > MAX_DELAY) overflows.push(delay);
      return setTimeout(callback, Math.min(delay, MAX_DELAY));
    },
    clearTimeout: (handle) => clearTimeout(handle as number),
    now: () => performance.now(),
  };
}

Deno.test("StompClient.connectUrl with a connectTimeout of 30 days connects through an attempt that takes a while", async () => {
  await using broker = StompTestBroker.listen();
  // The runtime's own timers, as a user has them.
  await using client = await StompClient.connectUrl(broker.url, {
    connectTimeout: THIRTY_DAYS,
    // The attempt takes 50 ms: a timer fired after 1 ms failed it.
    beforeConnect: async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return {};
    },
  });
  assertEquals(client.state, "connected");
});

Deno.test("StompClient.request with a timeout of 30 days waits without arming a timer per millisecond", async () => {
  await using broker = StompTestBroker.listen();
  const timers = watchedTimers();
  let armed = 0;
  await using client = await StompClient.connectUrl(broker.url, {
    timers: {
      ...timers,
      setTimeout(callback, delay) {
        armed++;
        return timers.setTimeout(callback, delay);
      },
    },
  });
  const before = armed;
  const controller = new AbortController();
  const request = client.request("/queue/nobody-answers", "ping", {
    timeout: THIRTY_DAYS,
    signal: controller.signal,
  });
  let settled = false;
  request.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assertEquals(settled, false);
  // A handful at most (the deadline, the send pump), not one a millisecond.
  const during = armed - before;
  if (during > 10) throw new Error(`${during} timers armed in 200 ms`);
  assertEquals(timers.overflows, []);
  controller.abort(new Error("Done waiting"));
  await assertRejects(() => request, Error, "Done waiting");
});

Deno.test("StompClient.send with a receiptTimeout of 30 days resolves on its RECEIPT", async () => {
  await using broker = StompTestBroker.listen();
  const timers = watchedTimers();
  await using client = await StompClient.connectUrl(broker.url, {
    receiptTimeout: THIRTY_DAYS,
    disconnectTimeout: THIRTY_DAYS,
    timers,
  });
  await client.send("/queue/long", "hello", { receipt: true });
  await client.disconnect();
  assertEquals(broker.depth("/queue/long"), 1);
  assertEquals(timers.overflows, []);
});

Deno.test("StompClient.connect refuses timers without the three functions", async () => {
  await using broker = StompTestBroker.listen();
  for (const name of ["setTimeout", "clearTimeout", "now"] as const) {
    const timers = { ...watchedTimers(), [name]: undefined };
    await assertRejects(
      () =>
        StompClient.connectUrl(broker.url, {
          timers: timers as unknown as StompTimers,
        }),
      TypeError,
      `Cannot create client: timers.${name} must be a function, got undefined`,
    );
  }
});
