// ManualTimers as a test drives it: advances that are not awaited before the
// next one starts, and "run everything" written as advance(Infinity). The
// clock must never go back nor stop being a number, or the heart-beat and
// timeout arithmetic of the client built on it goes wrong.

import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { ManualTimers, StompTestBroker } from "@stomper/stomp/testing";

Deno.test("ManualTimers never moves back when an advance starts before the last one ended", async () => {
  const timers = new ManualTimers();
  const fired: number[] = [];
  timers.setTimeout(() => fired.push(timers.now()), 100);
  timers.setTimeout(() => fired.push(timers.now()), 550);
  const first = timers.advance(1000); // runs the 100 ms call, then yields
  const second = timers.advance(500); // from 100: runs the 550 ms call
  await Promise.all([first, second]);
  assertEquals(fired, [100, 550]);
  assertEquals(timers.now(), 1000);
  timers.setTimeout(() => fired.push(timers.now()), 10);
  await timers.advance(10);
  assertEquals(fired, [100, 550, 1010]);
});

Deno.test("ManualTimers.advance refuses Infinity and keeps its clock", async () => {
  const timers = new ManualTimers();
  await assertRejects(
    () => timers.advance(Infinity),
    RangeError,
    "Cannot advance clock: ms must be finite, got Infinity",
  );
  assertEquals(timers.now(), 0);
  let fired = 0;
  timers.setTimeout(() => fired++, 5);
  await timers.advance(5);
  assertEquals([timers.now(), fired], [5, 1]);
});

Deno.test("ManualTimers.setTimeout refuses a callback that is not a function, when set", () => {
  const timers = new ManualTimers();
  assertThrows(
    () => timers.setTimeout("tick" as unknown as () => void, 10),
    TypeError,
    'Cannot set timeout: callback must be a function, got "tick"',
  );
  assertEquals(timers.pending, 0);
});

Deno.test("ManualTimers drives a client's heart-beats against the test broker", async () => {
  const timers = new ManualTimers();
  await using broker = StompTestBroker.listen({ heartBeat: [1000, 1000] });
  await using client = await StompClient.connectUrl(broker.url, {
    timers,
    heartBeat: [1000, 1000],
  });
  // The client writes a heart-beat for each second it wrote nothing.
  await timers.advance(1000);
  await timers.advance(1000);
  assertEquals(client.state, "connected");
  const deadline = Date.now() + 2000;
  while (broker.heartbeatsReceived < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assertEquals(broker.heartbeatsReceived, 2);
});
