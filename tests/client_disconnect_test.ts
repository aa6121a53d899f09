// disconnect() after a burst of un-awaited sends (src/client/_core.ts): its
// timeout counts time without progress, so a connection that keeps writing
// finishes; when it does give up, closed rejects with its error and what was
// not written fails saying why. The writer is slowed by ChaosRelay's
// throttle in front of the test broker.

import {
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "./_chaos.ts";

const BODY = "x".repeat(100);

Deno.test("StompClient disconnect() writes a backlog that takes longer than disconnectTimeout while the connection keeps writing", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  // About 18 MB at 6 MB/s: three seconds of writing, more than the 2 s of
  // disconnectTimeout, and more than the 6 MB the sockets and the relay hold
  // (their draining is all DISCONNECT's RECEIPT waits for once written).
  relay.throttle(6_000_000, "toServer");
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    disconnectTimeout: 2000,
  });
  const count = 120_000;
  const settled = { ok: 0, failed: 0 };
  for (let i = 0; i < count; i++) {
    client.send("/queue/backlog", BODY).then(
      () => settled.ok++,
      () => settled.failed++,
    );
  }
  const start = performance.now();
  await client.disconnect();
  const ms = performance.now() - start;
  console.log(`disconnect() took ${Math.round(ms)} ms`);
  await client.closed;
  assertGreater(ms, 2000);
  assertEquals(settled, { ok: count, failed: 0 });
  assertEquals(broker.depth("/queue/backlog"), count);
});

Deno.test("StompClient disconnect() gives up once nothing is written for disconnectTimeout, and closed and the unwritten sends reject saying so", async () => {
  await using broker = StompTestBroker.listen();
  await using relay = ChaosRelay.start({ port: broker.port });
  const reported: Error[] = [];
  const client = await StompClient.connectUrl(relay.url, {
    heartBeat: [0, 0],
    disconnectTimeout: 300,
    sendBufferSize: 64 * 1024,
    onError: (error) => reported.push(error),
  });
  // A server that stops reading: the relay forwards nothing more.
  relay.silence("toServer");
  const count = 200_000;
  const failures: unknown[] = [];
  for (let i = 0; i < count; i++) {
    client.send("/queue/stalled", BODY).catch((error) => failures.push(error));
  }
  const failure = await assertRejects(
    () => client.disconnect(),
    StompTimeoutError,
    "Cannot disconnect: nothing was written for 300 ms (no connection, or the server does not read); ",
  );
  assertMatch(
    failure.message,
    /; \d+ frames \(\d+ bytes\) issued before DISCONNECT were not written$/,
  );
  assertEquals(failure.timeout, 300);
  const closed = await assertRejects(() => client.closed);
  assertEquals(closed, failure);
  assertEquals(client.state, "closed");
  // Sends past sendBufferSize were still waiting: they fail saying why.
  assertGreater(failures.length, 0);
  const dropped = failures[0];
  assertInstanceOf(dropped, StompConnectionError);
  assertEquals(
    dropped.message,
    `Not written: disconnect() gave up: ${failure.message}`,
  );
  assertEquals(dropped.cause, failure);
  // Reported once.
  assertEquals(reported, [failure]);
});
