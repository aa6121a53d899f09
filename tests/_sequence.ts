// Shared by lifecycle_test.ts and integration/client_lifecycle_test.ts:
// reading what reached a queue, and checking that a numbered burst ("0" to
// "N-1") arrived whole and in order, with a message that says how it did not.

import { AssertionError } from "@std/assert";
import type { StompMessage, StompSubscription } from "@stomper/stomp/client";

/**
 * Takes messages from `subscription` until `count` came or none came for
 * `idleMs`, passing each to `each`; returns how many came. Ends the
 * subscription either way.
 */
export async function consume(
  subscription: StompSubscription,
  count: number,
  each: (message: StompMessage) => void | Promise<void>,
  idleMs = 2000,
): Promise<number> {
  const iterator = subscription[Symbol.asyncIterator]();
  let received = 0;
  try {
    while (received < count) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = iterator.next();
      next.catch(() => {});
      const result = await Promise.race([
        next,
        new Promise<"idle">((resolve) => {
          timer = setTimeout(() => resolve("idle"), idleMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (result === "idle" || result.done) break;
      received++;
      await each(result.value);
    }
  } finally {
    await subscription.unsubscribe().catch(() => {});
  }
  return received;
}

/** The bodies of up to `count` messages of `subscription`, as text. */
export async function readBodies(
  subscription: StompSubscription,
  count: number,
  idleMs = 2000,
): Promise<string[]> {
  const bodies: string[] = [];
  await consume(subscription, count, (message) => {
    bodies.push(message.text);
  }, idleMs);
  return bodies;
}

/** How a burst numbered "0" to "count - 1" arrived. */
export interface SequenceReport {
  /** Messages received. */
  readonly received: number;
  /** Distinct sequence numbers among them. */
  readonly distinct: number;
  /** The first position holding the wrong number, or -1. */
  readonly firstMisplaced: number;
}

/** Counts what of the burst "0" to "count - 1" is in `bodies`, and where order breaks. */
export function sequenceReport(
  bodies: readonly string[],
  count: number,
): SequenceReport {
  const seen = new Set<string>();
  let firstMisplaced = -1;
  bodies.forEach((body, i) => {
    const n = Number(body);
    if (Number.isSafeInteger(n) && n >= 0 && n < count) seen.add(body);
    if (firstMisplaced === -1 && body !== String(i)) firstMisplaced = i;
  });
  return { received: bodies.length, distinct: seen.size, firstMisplaced };
}

/** Asserts that `bodies` are exactly "0" to "count - 1", in order. */
export function assertSequence(
  bodies: readonly string[],
  count: number,
  what = "messages",
): void {
  const report = sequenceReport(bodies, count);
  if (report.received === count && report.firstMisplaced === -1) return;
  const misplaced = report.firstMisplaced === -1
    ? ""
    : `; position ${report.firstMisplaced} holds ${
      JSON.stringify(bodies[report.firstMisplaced])
    }`;
  throw new AssertionError(
    `${what}: ${report.distinct} of ${count} arrived (${report.received} received)${misplaced}`,
  );
}
