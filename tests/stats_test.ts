// StompClient.stats against real peers over loopback TCP: the test broker
// behind a relay that counts the bytes the broker received, and scripted
// servers whose every byte the test writes.

import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { connected, encodeFrame } from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { bytes } from "./_decode.ts";
import { ChaosRelay } from "./_chaos.ts";
import { scriptedServer } from "./_peer.ts";
import { eventually, within } from "./_helpers.ts";

Deno.test("StompClient.stats counts frames, bytes, messages and acknowledgements of a known exchange", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const before = Date.now();
  const client = await StompClient.connectUrl(relay.url, { heartBeat: [0, 0] });
  const subscription = await client.subscribe("/queue/stats", {
    ack: "client-individual",
    receipt: true,
  });
  for (const text of ["a", "b", "c"]) await client.send("/queue/stats", text);
  let seen = 0;
  let stats = client.stats;
  for await (const message of subscription) {
    seen++;
    if (seen === 1) await message.ack(); // the batched path
    else if (seen === 2) await message.ack({ receipt: true }); // the general one
    else if (seen === 3) await message.nack({ receipt: true }); // comes back
    else {
      assertEquals(message.text, "c");
      await message.ack({ receipt: true });
      stats = client.stats;
      break;
    }
  }
  // Out: CONNECT, SUBSCRIBE, 3 SEND, ACK, ACK, NACK, ACK; in: CONNECTED,
  // RECEIPT, 3 MESSAGE, RECEIPT, RECEIPT, MESSAGE (again), RECEIPT.
  assertEquals(stats.framesOut, 9);
  assertEquals(stats.framesIn, 9);
  assertEquals(stats.messages, 4);
  assertEquals(stats.acks, 3);
  assertEquals(stats.nacks, 1);
  assertEquals(stats.reconnects, 0);
  assert(stats.lastReceivedAt !== undefined);
  assertGreaterOrEqual(stats.lastReceivedAt, before);
  assert(stats.lastReceivedAt <= Date.now());
  await eventually(() => relay.bytes("toServer") === stats.bytesOut);
  await client.disconnect();
  const after = client.stats;
  // UNSUBSCRIBE (leaving the loop) and DISCONNECT out, its RECEIPT in.
  assertEquals(after.framesOut, 11);
  assertEquals(after.framesIn, 10);
  await eventually(() => relay.bytes("toServer") === after.bytesOut);
});

Deno.test("StompClient.stats counts every byte the server sent, heart-beats included", async () => {
  const chunks = [
    encodeFrame(connected({ version: "1.2" })),
    bytes("\n\r\n"),
    bytes("RECEIPT\nreceipt-id:9\n\n\0\n"),
  ];
  await using server = scriptedServer(async (peer) => {
    await peer.next();
    for (const chunk of chunks) await peer.send(chunk);
    await peer.quiet(5000);
  });
  const client = await StompClient.connectUrl(server.url, {
    heartBeat: [0, 0],
  });
  const sent = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  await eventually(() => client.stats.bytesIn === sent);
  assertEquals(client.stats.framesIn, 2);
  client.close();
});

Deno.test("StompClient.stats goes on across reconnections and counts them", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  await using client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    reconnect: { initialDelay: 10, jitter: 0 },
  });
  await client.send("/queue/again", "1", { receipt: true });
  relay.cut();
  await eventually(() => client.stats.reconnects === 1);
  await within(
    client.send("/queue/again", "2", { receipt: true }),
    2000,
    "the send after reconnecting",
  );
  const stats = client.stats;
  // Two CONNECTs and two SENDs; two CONNECTEDs and two RECEIPTs.
  assertEquals(stats.framesOut, 4);
  assertEquals(stats.framesIn, 4);
  await eventually(() => relay.bytes("toServer") === client.stats.bytesOut);
});

Deno.test("StompClient.stats is a snapshot", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
  });
  const first = client.stats;
  (first as { framesOut: number }).framesOut = 100;
  assertEquals(client.stats.framesOut, 1);
  await client.send("/queue/snap", "x", { receipt: true });
  assertEquals(first.framesIn, 1);
  assertEquals(client.stats.framesIn, 2);
  assertEquals(client.stats.framesOut, 2);
});
