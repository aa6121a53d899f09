// The connect deadline shared by the transports (src/transports/_signal.ts).

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { abortPhrase, connectSignal } from "../src/transports/_signal.ts";
import { sleep } from "./_helpers.ts";

Deno.test("connectSignal() aborts with a TimeoutError at the timeout", async () => {
  const deadline = connectSignal({ timeout: 20 }, "connect");
  try {
    await sleep(60);
    const signal = deadline.signal!;
    assert(signal.aborted);
    assertInstanceOf(signal.reason, DOMException);
    assertEquals(signal.reason.name, "TimeoutError");
    assertEquals(abortPhrase(signal, 20), "timed out after 20 ms");
  } finally {
    deadline.clear();
  }
});

Deno.test("connectSignal() clear() stops the timer: the signal never aborts", async () => {
  // The test sanitizer would also fail on a timer left running.
  const deadline = connectSignal({ timeout: 20 }, "connect");
  deadline.clear();
  await sleep(60);
  assert(!deadline.signal!.aborted);
});

Deno.test("connectSignal() follows the caller's signal, and has none without a signal or timeout", () => {
  const caller = new AbortController();
  const deadline = connectSignal({ signal: caller.signal }, "connect");
  caller.abort(new Error("stop"));
  assert(deadline.signal!.aborted);
  assertEquals(abortPhrase(deadline.signal!), "aborted (stop)");
  deadline.clear();
  assertEquals(connectSignal({ timeout: 0 }, "connect").signal, undefined);
});
