// The operations' timeouts (src/client/_operation.ts): one timer per distinct
// timeout, deadlines that expire in order, settled ones never, and nothing
// armed once the client closed.

import { assertEquals } from "@std/assert";
import { ManualTimers } from "@stomper/stomp/testing";
import type { StompTimers } from "@stomper/stomp/client";
import { Deadlines } from "../src/client/_operation.ts";

/** ManualTimers that count the timers armed and pending. */
function counted(
  timers: ManualTimers,
): StompTimers & { armed: number; pending: number } {
  const counts = { armed: 0, pending: 0 };
  return {
    get armed() {
      return counts.armed;
    },
    get pending() {
      return counts.pending;
    },
    setTimeout(callback, delay) {
      counts.armed++;
      counts.pending++;
      return timers.setTimeout(() => {
        counts.pending--;
        callback();
      }, delay);
    },
    clearTimeout(handle) {
      counts.pending--;
      timers.clearTimeout(handle);
    },
    now: () => timers.now(),
  };
}

Deno.test("Deadlines expires in order with one timer per timeout, never a settled one", async () => {
  const manual = new ManualTimers();
  const timers = counted(manual);
  const deadlines = new Deadlines(timers);
  const expired: string[] = [];
  const a = deadlines.add(1000, () => expired.push("a"));
  await manual.advance(10);
  deadlines.add(1000, () => expired.push("b"));
  const c = deadlines.add(1000, () => expired.push("c"));
  deadlines.add(500, () => expired.push("short"));
  a.expire = undefined; // settled
  assertEquals(timers.armed, 2);
  await manual.advance(500);
  assertEquals(expired, ["short"]);
  await manual.advance(499);
  assertEquals(expired, ["short"]);
  await manual.advance(1);
  // "a" settled: its timer fired at 1000, found it settled and re-armed
  // for "b" and "c" (1010).
  assertEquals(expired, ["short", "b", "c"]);
  c.expire = undefined; // too late: it expired already
  assertEquals(timers.pending, 0);
});

Deno.test("Deadlines keeps a steady stream of settled deadlines short and stops on close", async () => {
  const manual = new ManualTimers();
  const timers = counted(manual);
  const deadlines = new Deadlines(timers);
  let expired = 0;
  for (let i = 0; i < 10_000; i++) {
    const deadline = deadlines.add(30_000, () => expired++);
    deadline.expire = undefined;
  }
  assertEquals(timers.armed, 1);
  const last = deadlines.add(30_000, () => expired++);
  deadlines.close();
  assertEquals(timers.pending, 0);
  // After close nothing is armed, and nothing expires.
  deadlines.add(10, () => expired++);
  await manual.advance(60_000);
  assertEquals(expired, 0);
  assertEquals(timers.armed, 1);
  assertEquals(last.expire !== undefined, true);
});
