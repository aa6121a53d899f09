// A drain keeps its own timeout when the broker is gone or silent: the
// UNSUBSCRIBE and the DISCONNECT that end it are bounded by what is left of
// it, and with no connection the UNSUBSCRIBE is not waited for (the broker
// dropped the subscription with the connection). Scripted servers over
// loopback TCP, since no broker goes silent or away on cue, and the test
// broker for what the client tells it after a reconnection.

import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import { connected, receipt } from "@stomper/stomp";
import {
  StompClient,
  type StompClientOptions,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually, within } from "./_helpers.ts";
import { type RawPeer, scriptedServer } from "./_peer.ts";

const QUIET: StompClientOptions = { heartBeat: [0, 0], onError: () => {} };

/** Reconnects without end (until closed), retrying every 50 ms. */
const RECONNECT = { retries: 1000, initialDelay: 50, maxDelay: 50 };

/**
 * Accepts the connection and confirms its SUBSCRIBE; then the server goes
 * away (its port is closed after the first connection, so reconnecting
 * fails) or, `silent`, reads on and answers nothing.
 */
function oneSubscription(silent: boolean) {
  return scriptedServer(async (peer: RawPeer) => {
    await peer.expect("CONNECT");
    await peer.send(connected({ version: "1.2" }));
    const subscribe = await peer.expect("SUBSCRIBE");
    await peer.send(receipt(subscribe.headers.get("receipt")!));
    if (silent) await peer.end(10_000);
  });
}

for (const silent of [false, true]) {
  const how = silent ? "is connected but silent" : "is gone";
  Deno.test(`StompClient.drain rejects within its timeout when the broker ${how}, the client closed (scripted server)`, async () => {
    await using server = oneSubscription(silent);
    const client = await StompClient.connectUrl(server.url, {
      ...QUIET,
      reconnect: RECONNECT,
    });
    const jobs = await client.subscribe("/queue/jobs", {
      ack: "client-individual",
    });
    if (!silent) {
      await eventually(() => client.state === "reconnecting", 2000, "lost");
    }
    const started = performance.now();
    const error = await assertRejects(
      () => within(client.drain({ timeout: 300 }), 5000, "drain"),
      StompTimeoutError,
    );
    const took = performance.now() - started;
    assert(took >= 250, `rejected after ${took} ms`);
    // The timeout, and the DISCONNECT's grace once it has passed.
    assertLessOrEqual(took, 1200);
    assertEquals(client.state, "closed");
    assertEquals(jobs.active, false);
    if (silent) {
      assertEquals(
        error.message,
        'Cannot drain subscription "sub-1" to "/queue/jobs": the server did not confirm it within 300 ms',
      );
    } else {
      // Nothing to unsubscribe: what was left is the DISCONNECT, waiting
      // for a connection.
      assert(error.message.startsWith("Cannot disconnect"), error.message);
    }
  });
}

Deno.test("StompSubscription.drain rejects within its timeout when the broker does not confirm the UNSUBSCRIBE (scripted server)", async () => {
  await using server = oneSubscription(true);
  const client = await StompClient.connectUrl(server.url, QUIET);
  const jobs = await client.subscribe("/queue/jobs", { ack: "auto" });
  const other = await client.subscribe("/queue/other", {
    ack: "client-individual",
  });
  for (const subscription of [jobs, other]) {
    const started = performance.now();
    const error = await assertRejects(
      () => within(subscription.drain({ timeout: 200 }), 5000, "drain"),
      StompTimeoutError,
      "the server did not confirm it within 200 ms",
    );
    assertEquals(error.timeout, 200);
    assertLessOrEqual(performance.now() - started, 700);
    assertEquals(subscription.active, false);
  }
  assertEquals(client.state, "connected");
  client.close();
});

for (const ack of ["auto", "client-individual"] as const) {
  Deno.test(`StompSubscription.drain in ${ack} mode resolves at once while the client reconnects, and the subscription is not restored`, async () => {
    await using broker = StompTestBroker.listen();
    await using client = await StompClient.connectUrl(broker.url, {
      ...QUIET,
      reconnect: { initialDelay: 1500, maxDelay: 1500 },
    });
    const jobs = await client.subscribe("/queue/jobs", { ack });
    const kept = await client.subscribe("/queue/kept");
    broker.dropConnections();
    await eventually(() => client.state === "reconnecting", 2000, "lost");
    await within(jobs.drain({ timeout: 5000 }), 500, "drain");
    assertEquals(jobs.active, false);
    await within(
      kept.unsubscribe({ receipt: true }),
      500,
      "unsubscribe",
    );
    await eventually(() => client.state === "connected", 5000, "reconnected");
    await client.send("/queue/jobs", "after", { receipt: true });
    await client.send("/queue/kept", "after", { receipt: true });
    // Nobody consumes: neither was subscribed again.
    assertEquals(broker.depth("/queue/jobs"), 1);
    assertEquals(broker.depth("/queue/kept"), 1);
  });
}
