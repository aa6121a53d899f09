// In `client` ack mode an ACK (or NACK) covers every earlier message of the
// subscription; both brokers end the connection for a second acknowledgement
// of a covered message. The client knows which are covered and sends none.

import { assertEquals } from "@std/assert";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { sleep, uniqueQueue } from "../_helpers.ts";

const BROKER_URLS = [
  ["RabbitMQ", BROKERS.rabbitmqTcp],
  ["ActiveMQ", BROKERS.activemqTcp],
] as const;

const CASES = [
  ["ACK", "ACK"],
  ["ACK", "NACK"],
  ["NACK", "ACK"],
] as const;

for (const [name, url] of BROKER_URLS) {
  for (const [later, earlier] of CASES) {
    Deno.test(`StompMessage on ${name}: in client mode, ${earlier.toLowerCase()}() of a message a later ${later} covered resolves without a frame and the connection stays`, async () => {
      const errors: Error[] = [];
      const out: string[] = [];
      await using client = await connectTo(url, {
        heartBeat: [0, 0],
        onError: (error) => errors.push(error),
        trace: (event) => {
          const command = event.frame?.command;
          if (
            event.direction === "out" &&
            (command === "ACK" || command === "NACK")
          ) {
            out.push(command);
          }
        },
      });
      const queue = uniqueQueue("covered");
      const inbox = new Inbox(
        await client.subscribe(queue, { ack: "client", receipt: true }),
      );
      for (const text of ["one", "two", "three"]) {
        await client.send(queue, text, { receipt: true });
      }
      const [one, two, three] = await inbox.take(3);
      const settle = (message: typeof one, command: "ACK" | "NACK") =>
        command === "ACK"
          ? message!.ack({ receipt: true })
          : message!.nack({ receipt: true });
      await settle(two, later);
      await settle(one, earlier);
      // Without a receipt too.
      await settle(one, earlier).catch(() => {});
      await three!.ack({ receipt: true });
      await sleep(300);
      assertEquals(client.state, "connected");
      assertEquals(errors.map((e) => e.message), [
        `Cannot ${earlier === "ACK" ? "acknowledge" : "reject"} message ${
          JSON.stringify(one!.messageId)
        }: it was ${earlier === "ACK" ? "acknowledged" : "rejected"} already`,
      ]);
      assertEquals(out, [later, "ACK"]);
      await client.send(queue, "after", { receipt: true });
    });
  }
}
