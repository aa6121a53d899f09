// Reconnection (src/client/_reconnect.ts): the policy's checks and defaults,
// and Attempts, the one counter of connection attempts (over the client's
// life, and in a row for the backoff).

import { assertEquals, assertThrows } from "@std/assert";
import { Attempts, ReconnectPolicy } from "../src/client/_reconnect.ts";

Deno.test("ReconnectPolicy is off unless asked, with defaults when asked", () => {
  assertEquals(ReconnectPolicy.from(undefined), undefined);
  assertEquals(ReconnectPolicy.from(false), undefined);
  const policy = ReconnectPolicy.from(true)!;
  assertEquals(policy.retries, 10);
  assertEquals(policy.initialDelay, 500);
  assertEquals(policy.maxDelay, 30000);
  assertEquals(policy.factor, 2);
  assertEquals(policy.jitter, 0.5);
  assertEquals(policy.retryFirstConnect, true);
  assertEquals(policy.stableAfter, 10000);
  assertThrows(
    () => ReconnectPolicy.from({ jitter: 2 }),
    RangeError,
    "reconnect.jitter must be between 0 and 1, got 2",
  );
  assertThrows(
    () => ReconnectPolicy.from({ retries: 0 }),
    RangeError,
    "reconnect.retries must be a positive integer",
  );
});

Deno.test("Attempts backs off exponentially up to maxDelay, then gives up", () => {
  const attempts = new Attempts(
    ReconnectPolicy.from({
      retries: 4,
      initialDelay: 100,
      maxDelay: 300,
      jitter: 0.5,
      random: () => 0.5,
    }),
  );
  assertEquals(attempts.begin(), 1);
  // Each delay shortened by jitter × random = a quarter.
  assertEquals(attempts.next(), 75);
  assertEquals(attempts.next(), 150);
  assertEquals(attempts.next(), 225);
  assertEquals(attempts.next(), 225);
  assertEquals(attempts.inARow, 4);
  assertEquals(attempts.next(), undefined);
  assertEquals(attempts.begin(), 2);
});

Deno.test("Attempts starts the count over only after a connection stayed up for stableAfter", () => {
  const attempts = new Attempts(
    ReconnectPolicy.from({ stableAfter: 1000, jitter: 0, initialDelay: 10 }),
  );
  assertEquals(attempts.wasUp, false);
  attempts.next();
  attempts.next();
  attempts.connected(0);
  assertEquals(attempts.wasUp, true);
  attempts.lost(999);
  assertEquals(attempts.inARow, 2);
  assertEquals(attempts.next(), 40);
  attempts.connected(2000);
  attempts.lost(3000);
  assertEquals(attempts.inARow, 0);
  assertEquals(attempts.next(), 10);
});

Deno.test("Attempts without a policy numbers attempts and never retries", () => {
  const attempts = new Attempts(undefined);
  assertEquals(attempts.begin(), 1);
  assertEquals(attempts.next(), undefined);
  assertEquals(attempts.begin(), 2);
});
