// In `client` ack mode an ACK or NACK covers every earlier message handed out
// (src/client/_impl.ts, Subscription.covers): a covered message is
// acknowledged already, and the client sends nothing for it (both brokers
// end the connection for such an ACK: tests/integration/client_ack_covered_test.ts).

import { assertEquals } from "@std/assert";
import { StompClient, type StompMessage } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompMessage ack in client mode resolves without a frame for a message a later ACK or NACK covered, and sends one for the rest", async () => {
  await using broker = StompTestBroker.listen();
  const out: string[] = [];
  await using client = await StompClient.connectUrl(broker.url, {
    trace: (event) => {
      const frame = event.frame;
      if (event.direction !== "out") return;
      if (frame?.command === "ACK" || frame?.command === "NACK") {
        out.push(`${frame.command} ${frame.headers.get("id")}`);
      }
    },
  });
  const subscription = await client.subscribe("/queue/covered", {
    ack: "client",
    receipt: true,
  });
  for (let i = 0; i < 5; i++) {
    await client.send("/queue/covered", `m${i}`, { receipt: true });
  }
  const iterator = subscription[Symbol.asyncIterator]();
  const got: StompMessage[] = [];
  while (got.length < 5) got.push((await iterator.next()).value!);
  const [m0, m1, m2, m3, m4] = got;
  const id = (message: StompMessage | undefined) => message!.headers.get("ack");
  await m2!.ack({ receipt: true });
  await m0!.ack({ receipt: true });
  await m1!.nack();
  await m3!.nack({ receipt: true });
  await m2!.ack().then(() => "resolved", (e) => e.message).then((outcome) =>
    assertEquals(
      outcome,
      `Cannot acknowledge message ${
        JSON.stringify(m2!.messageId)
      }: it was acknowledged already`,
    )
  );
  await m4!.ack({ receipt: true });
  assertEquals(out, [`ACK ${id(m2)}`, `NACK ${id(m3)}`, `ACK ${id(m4)}`]);
  assertEquals(client.state, "connected");
});
