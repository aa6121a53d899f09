// StompClient.drain waits, within its timeout, for the requests still
// waiting for their reply (src/client/_core.ts, _requests.ts), against the
// test broker with a server that answers late or never.

import {
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import {
  StompClient,
  StompConnectionError,
  type StompMessage,
  StompTimeoutError,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { eventually, sleep } from "./_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const, onError: () => {} };

/** Answers each request to `destination` after `ms`, with its text + "!". */
async function slowServer(
  broker: StompTestBroker,
  destination: string,
  ms: number,
): Promise<StompClient> {
  const server = await StompClient.connectUrl(broker.url, QUIET);
  const requests = await server.subscribe(destination);
  (async () => {
    for await (const request of requests) {
      await sleep(ms);
      await server.reply(request, `${request.text}!`).catch(() => {});
    }
  })();
  return server;
}

Deno.test("StompClient.drain waits for a request's reply before it disconnects", async () => {
  await using broker = StompTestBroker.listen();
  await using _server = await slowServer(broker, "/queue/slow", 200);
  const client = await StompClient.connectUrl(broker.url, QUIET);
  const request = client.request("/queue/slow", "ping");
  // Until the SEND is out, then the drain.
  await eventually(() => broker.depth("/queue/slow") === 0);
  const start = performance.now();
  await client.drain({ timeout: 5000 });
  const reply: StompMessage = await request;
  assertEquals(reply.text, "ping!");
  assertEquals(client.state, "closed");
  // It waited for the reply, not for the timeout.
  assertLessOrEqual(performance.now() - start, 4000);
});

Deno.test("StompClient.drain gives up on an unanswered request after its timeout, disconnects and rejects with a StompTimeoutError", async () => {
  await using broker = StompTestBroker.listen();
  const client = await StompClient.connectUrl(broker.url, QUIET);
  const request = client.request("/queue/nobody", "ping", { timeout: 60000 });
  request.catch(() => {});
  const error = await assertRejects(
    () => client.drain({ timeout: 200 }),
    StompTimeoutError,
    "Cannot drain: 1 request still waiting for a reply after 200 ms",
  );
  assertEquals(error.timeout, 200);
  assertEquals(client.state, "closed");
  // The request ends with the disconnect.
  assertInstanceOf(
    await request.then(() => undefined, (e: unknown) => e),
    StompConnectionError,
  );
});

Deno.test("StompClient.drain stops waiting for requests when its signal aborts", async () => {
  await using broker = StompTestBroker.listen();
  const client = await StompClient.connectUrl(broker.url, QUIET);
  const request = client.request("/queue/nobody", "ping", { timeout: 60000 });
  request.catch(() => {});
  const controller = new AbortController();
  const draining = client.drain({ timeout: 0, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("SIGKILL soon")), 50);
  await assertRejects(() => draining, Error, "SIGKILL soon");
  assertEquals(client.state, "closed");
});
