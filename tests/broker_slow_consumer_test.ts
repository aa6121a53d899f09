// StompTestBroker and a subscriber that stops reading: what the broker holds
// for one connection is bounded by maxUnwrittenBytes, and the slow consumer is
// told why it is dropped. Real sockets; the slow consumer is a raw TCP
// connection that the test simply does not read.

import { assert, assertMatch } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually, within } from "./_helpers.ts";

const LIMIT = 256 * 1024;
const BODY = new Uint8Array(64 * 1024);
// Far more than the loopback socket buffers (a few MiB each way) and the limit.
const TOTAL = 48 * 1024 * 1024;

const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Reads until `text` has come (decoded as Latin-1), or the peer closes. */
async function readUntil(
  conn: Deno.Conn,
  text: string,
  limit: number,
): Promise<{ seen: string; ended: boolean }> {
  const buffer = new Uint8Array(64 * 1024);
  let tail = "";
  let total = 0;
  while (total < limit) {
    const n = await conn.read(buffer);
    if (n === null) return { seen: tail, ended: true };
    total += n;
    tail = (tail + latin1.decode(buffer.subarray(0, n))).slice(-4096);
    if (tail.includes(text)) return { seen: tail, ended: false };
  }
  return { seen: tail, ended: false };
}

async function flood(url: string, destination: string): Promise<void> {
  await using publisher = await StompClient.connectUrl(url, {
    heartBeat: [0, 0],
  });
  for (let sent = 0; sent < TOTAL; sent += BODY.length) {
    await publisher.send(destination, BODY);
  }
  await publisher.send(destination, BODY, { receipt: true });
}

Deno.test("StompTestBroker ends a topic subscriber that stops reading with an ERROR naming maxUnwrittenBytes", async () => {
  await using broker = StompTestBroker.listen({
    heartBeat: [0, 0],
    maxUnwrittenBytes: LIMIT,
  });
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
  try {
    await slow.write(utf8.encode(
      "CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0" +
        "SUBSCRIBE\nid:1\ndestination:/topic/slow\nreceipt:r1\n\n\0",
    ));
    await within(readUntil(slow, "receipt-id:r1", 4096), 5000, "RECEIPT");
    // The publisher is never held back and the broker keeps at most the limit
    // (plus one frame) for the connection that does not read.
    await within(flood(broker.url, "/topic/slow"), 20_000, "publishing");
    const { seen, ended } = await within(
      readUntil(slow, "message:Slow consumer\n", TOTAL * 2),
      10_000,
      "the slow consumer's ERROR",
    );
    assert(!ended, "the connection ended without an ERROR");
    const rest = seen + (await within(
      new Response(slow.readable).text(),
      5000,
      "the end of the slow consumer's connection",
    ));
    assertMatch(rest, /ERROR\n/);
    assertMatch(rest, new RegExp(`maxUnwrittenBytes: ${LIMIT}`));
  } finally {
    try {
      slow.close();
    } catch {
      // Closed with its readable already.
    }
  }
  await eventually(() => broker.connections === 0, 2000, "no connections");
});

Deno.test("StompTestBroker ends a WebSocket topic subscriber that stops reading with an ERROR naming maxUnwrittenBytes", async () => {
  await using broker = StompTestBroker.listen({
    heartBeat: [0, 0],
    maxUnwrittenBytes: LIMIT,
    webSocket: true,
  });
  const url = new URL(broker.webSocketUrl!);
  // A WebSocket client always reads; this one speaks the handshake by hand
  // over TCP and then reads nothing. The server's frames are not masked, so
  // their text shows in the bytes.
  const slow = await Deno.connect({
    hostname: url.hostname,
    port: Number(url.port),
  });
  try {
    await slow.write(utf8.encode(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n`,
    ));
    await within(readUntil(slow, "\r\n\r\n", 4096), 5000, "the upgrade");
    // Client frames are masked; a zero mask leaves the payload as it is.
    const frame = (text: string) => {
      const payload = utf8.encode(text);
      assert(payload.length < 126);
      return new Uint8Array([
        0x82,
        0x80 | payload.length,
        0,
        0,
        0,
        0,
        ...payload,
      ]);
    };
    await slow.write(
      frame("CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0"),
    );
    await slow.write(
      frame("SUBSCRIBE\nid:1\ndestination:/topic/slow\nreceipt:r1\n\n\0"),
    );
    await within(readUntil(slow, "receipt-id:r1", 4096), 5000, "RECEIPT");
    await within(flood(broker.url, "/topic/slow"), 20_000, "publishing");
    // Nothing of it is read yet, and the broker has let it go.
    await eventually(() => broker.connections === 0, 5000, "no connections");
    const { ended } = await within(
      readUntil(slow, "message:Slow consumer\n", TOTAL * 2),
      10_000,
      "the slow consumer's ERROR",
    );
    assert(!ended, "the connection ended without an ERROR");
  } finally {
    slow.close();
  }
});
