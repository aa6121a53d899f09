// A process whose event loop was held up (a handler doing synchronous work, a
// debugger, a paused process) longer than a timeout: when it runs again, the
// timers due meanwhile and the input that arrived meanwhile are both ready,
// and runtimes run timers first. A RECEIPT waiting in the socket must not be
// taken for one that never came, nor a server's heart-beats for silence.

import { assert, assertEquals } from "@std/assert";
import { StompClient, type StompStateChange } from "@stomper/stomp";
import { BROKERS, withGuest } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";
import { uniqueQueue } from "../_helpers.ts";

/** Holds the event loop for `ms` milliseconds, as synchronous work does. */
function holdLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/** Lets what was called be written (not yet answered) before the loop is held. */
const written = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("StompClient on RabbitMQ: a RECEIPT that came while the event loop was held past receiptTimeout confirms its send", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await using client = await StompClient.connectUrl(
    withGuest(BROKERS.rabbitmqTcp),
    {
      heartBeat: [0, 0],
      receiptTimeout: 1000,
    },
  );
  const queue = uniqueQueue("held-loop-receipt");
  const outcomes: string[] = [];
  for (let round = 0; round < 3; round++) {
    const sent = client.send(queue, `job ${round}`, { receipt: true });
    await written();
    holdLoop(1500);
    outcomes.push(
      await sent.then(
        () => "confirmed",
        (error) => `${error.name}: ${error.message}`,
      ),
    );
  }
  assertEquals(outcomes, ["confirmed", "confirmed", "confirmed"]);
  assertEquals(client.state, "connected");
});

Deno.test("StompClient on RabbitMQ: heart-beats that came while the event loop was held past the silence limit keep the connection", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const changes: StompStateChange["state"][] = [];
  await using client = await StompClient.connectUrl(
    withGuest(BROKERS.rabbitmqTcp),
    {
      // RabbitMQ beats every 500 ms; silence is declared after 3 × 1000 ms.
      heartBeat: [0, 1000],
      onStateChange: ({ state }) => changes.push(state),
    },
  );
  changes.length = 0; // "connected", from the connect itself
  for (let round = 0; round < 2; round++) {
    await written();
    holdLoop(4000);
    // A few turns for the due timers and the input that waited.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assertEquals(client.state, "connected", `round ${round}`);
  }
  assertEquals(changes, []);
  await client.send(uniqueQueue("held-loop-beats"), "still here", {
    receipt: true,
  });
  assert(client.stats.framesIn > 0);
});
