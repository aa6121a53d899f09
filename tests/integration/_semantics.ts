// Shared by semantics_activemq_test.ts and semantics_rabbitmq_test.ts: how
// long "nothing more arrives" is watched, the steps both brokers are taken
// through, a header value sent to a broker and back, and a raw peer logged in
// to one.

import { assertEquals, assertRejects } from "@std/assert";
import { StompHeaders } from "@stomper/stomp";
import type {
  StompClient,
  StompMessage,
  StompSubscription,
} from "@stomper/stomp/client";
import { uniqueQueue } from "../_helpers.ts";
import { RawPeer } from "../_peer.ts";
import { Inbox } from "./_client.ts";

/** No heart-beats either way: the tests watch for frames, not time. */
export const QUIET = { heartBeat: [0, 0] as const };

/**
 * How long "nothing more arrives" is watched: locally a delivery the broker
 * is free to make comes within a few milliseconds.
 */
export const SETTLE = 500;

/** Sends `m0` … `m{count - 1}` to `queue`, each after the last one's RECEIPT. */
export async function fillQueue(
  client: StompClient,
  queue: string,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await client.send(queue, `m${i}`, { receipt: true });
  }
}

/**
 * Fills `queue` with ten messages and subscribes in client mode with a
 * prefetch window of three (set by `prefetch`, the broker's own header);
 * checks that no 4th comes before an ACK, that the ACK of the 3rd lets in
 * `m3` to `m5`, and that no 7th comes. Returns both windows.
 */
export async function ackFreesWindow(
  client: StompClient,
  queue: string,
  prefetch: Record<string, string>,
): Promise<{
  subscription: StompSubscription;
  first: StompMessage[];
  second: StompMessage[];
}> {
  await fillQueue(client, queue, 10);
  const subscription = await client.subscribe(queue, {
    ack: "client",
    headers: prefetch,
    receipt: true,
  });
  const inbox = new Inbox(subscription);
  const first = await inbox.take(3);
  assertEquals(await inbox.next(SETTLE), undefined, "a 4th before any ACK");
  await first[2]!.ack({ receipt: true });
  const second = await inbox.take(3);
  assertEquals(second.map((m) => m.text), ["m3", "m4", "m5"]);
  assertEquals(await inbox.next(SETTLE), undefined, "a 7th");
  return { subscription, first, second };
}

/**
 * Fills `queue` with three messages, subscribes in client-individual mode,
 * takes one without acknowledging it and unsubscribes (with a RECEIPT).
 */
export async function unsubscribeUnacked(
  client: StompClient,
  queue: string,
): Promise<void> {
  await fillQueue(client, queue, 3);
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  await new Inbox(subscription).take(1);
  await subscription.unsubscribe({ receipt: true });
}

/**
 * Sends a message whose header `x-v` is `value` to a fresh queue the client
 * subscribed to, and returns the `x-v` of the message that comes back.
 */
export async function headerRoundTrip(
  client: StompClient,
  value: string,
): Promise<string | undefined> {
  const queue = uniqueQueue("escape");
  const inbox = new Inbox(await client.subscribe(queue, { receipt: true }));
  await client.send(queue, "x", { receipt: true, headers: { "x-v": value } });
  return (await inbox.take(1))[0]!.headers.get("x-v");
}

/**
 * Sends `message` on to `target` with its own headers, which the client
 * refuses (its destination, content-length and receipt are the client's own
 * headers), and returns those headers without them.
 */
export async function forwardRefused(
  client: StompClient,
  target: string,
  message: StompMessage,
): Promise<StompHeaders> {
  await assertRejects(
    () =>
      client.send(target, message.body, {
        headers: message.headers,
        receipt: true,
      }),
    TypeError,
    "header is the client's own",
  );
  const headers = new StompHeaders(message.headers);
  for (const own of ["destination", "content-length", "receipt"]) {
    headers.delete(own);
  }
  return headers;
}

/**
 * Opens a raw STOMP 1.2 connection to a broker's `tcp://` address and
 * completes CONNECT / CONNECTED without heart-beats, with `login` and
 * `passcode` when given; fails unless the broker answers CONNECTED.
 */
export async function brokerPeer(
  url: string,
  name: string,
  credentials: { login?: string; passcode?: string } = {},
): Promise<RawPeer> {
  const peer = await RawPeer.open(new URL(url).href, { name });
  try {
    const connected = await peer.handshake({
      host: "/",
      ...credentials,
      acceptVersion: ["1.2"],
      heartBeat: [0, 0],
    });
    assertEquals(connected.command, "CONNECTED", connected.text);
  } catch (error) {
    await peer[Symbol.asyncDispose]();
    throw error;
  }
  return peer;
}
