// Shared by semantics_activemq_test.ts and semantics_rabbitmq_test.ts: a
// header value sent to a broker and back, and a raw peer logged in to one.

import { assertEquals } from "@std/assert";
import type { StompClient } from "@stomper/stomp/client";
import { uniqueQueue } from "../_helpers.ts";
import { RawPeer } from "../_peer.ts";
import { Inbox } from "./_client.ts";

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
