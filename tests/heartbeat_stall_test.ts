// Heart-beats when this end's own event loop is blocked (a message handler
// busy for longer than the silence limit): the peer's heart-beats wait unread
// in the socket meanwhile, which is no silence of the peer's. The broker runs
// in a Worker, so it keeps writing while the test's thread is blocked.

import { assert, assertEquals } from "@std/assert";
import { StompClient } from "../src/client/mod.ts";

/** A StompTestBroker on its own thread; heart-beats every 100 ms, none wanted. */
async function brokerThread(): Promise<
  { url: string; close(): Promise<void> }
> {
  const worker = new Worker(
    new URL("./_broker_worker.ts", import.meta.url),
    { type: "module" },
  );
  const answer = () =>
    new Promise<string>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
    });
  const started = answer();
  worker.postMessage({ heartBeat: [100, 0] });
  const url = await started;
  return {
    url,
    async close() {
      const closed = answer();
      worker.postMessage("close");
      await closed;
      worker.terminate();
    },
  };
}

/** Keeps this thread busy, as a synchronous handler would. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: no timer, no read runs meanwhile.
  }
}

Deno.test("StompClient does not report a server silent whose heart-beats waited unread while the client's event loop was blocked", async () => {
  const broker = await brokerThread();
  try {
    const errors: Error[] = [];
    const client = await StompClient.connectUrl(broker.url, {
      heartBeat: [0, 100],
      onError: (error) => errors.push(error),
    });
    try {
      // Receiving every 100 ms, grace 3: a silence limit of 300 ms.
      const before = client.stats.bytesIn;
      block(700);
      await new Promise((resolve) => setTimeout(resolve, 250));
      assertEquals(
        errors.map((error) => error.message),
        [],
        "the client blamed the server for its own stall",
      );
      assertEquals(client.state, "connected");
      // The server did write meanwhile: its heart-beats were there to read.
      assert(client.stats.bytesIn - before >= 5, "no heart-beat came");
      await client.send("/queue/after-stall", "still here", { receipt: true });
    } finally {
      await client.close();
    }
  } finally {
    await broker.close();
  }
});
