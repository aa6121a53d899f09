// The client's bodyChunks option: a large MESSAGE body that arrives in
// several chunks is handed out as those chunks, joined only when read,
// over a real socket from the in-process test broker.

import { assert, assertEquals } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

const QUIET = { heartBeat: [0, 0] as [number, number] };
const SIZE = 1024 * 1024;

async function receiveLarge(bodyChunks: boolean) {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    ...QUIET,
    bodyChunks,
  });
  const inbox = await client.subscribe("/queue/large", { receipt: true });
  const sent = new Uint8Array(SIZE).map((_, i) => (i * 7) & 0xff);
  await client.send("/queue/large", sent, { receipt: true });
  for await (const message of inbox) {
    const chunks = message.frame.bodyChunks.length;
    const length = message.frame.bodyLength;
    assertEquals(message.body, sent); // joined here, when read
    return { chunks, length };
  }
  throw new Error("No message");
}

Deno.test("StompClient with bodyChunks hands a large body out as the chunks it arrived in", async () => {
  const { chunks, length } = await receiveLarge(true);
  assertEquals(length, SIZE);
  assert(chunks > 1, `${chunks} chunk(s)`);
});

Deno.test("StompClient without bodyChunks copies a large body into one array", async () => {
  const { chunks, length } = await receiveLarge(false);
  assertEquals([chunks, length], [1, SIZE]);
});
