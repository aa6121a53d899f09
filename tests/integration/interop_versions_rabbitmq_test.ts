// Clients of different STOMP versions on one RabbitMQ queue, as an old
// application (1.0 or 1.1) meets newer ones: what one version's producer
// writes, the other version's consumer must be able to read.

import { assertEquals } from "@std/assert";
import { BROKERS, connectTo, Inbox } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";
import { QUIET } from "./_semantics.ts";

Deno.test("A STOMP 1.1 consumer on RabbitMQ reads a CR that a 1.2 producer put in a header (RabbitMQ writes it as \\r to 1.1 too)", async () => {
  const errors: Error[] = [];
  await using consumer = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    acceptVersion: ["1.1"],
    onError: (error) => errors.push(error),
  });
  await using producer = await connectTo(BROKERS.rabbitmqTcp, {
    ...QUIET,
    acceptVersion: ["1.2"],
  });
  assertEquals([consumer.version, producer.version], ["1.1", "1.2"]);
  const queue = uniqueQueue("cr-1.1");
  const inbox = new Inbox(
    await consumer.subscribe(queue, {
      ack: "client-individual",
      receipt: true,
    }),
  );
  await producer.send(queue, "x", {
    receipt: true,
    headers: { "x-cr": "a\rb", "x-lf": "c\nd", "x-colon": "e:f" },
  });
  const [message] = await inbox.take(1);
  assertEquals(
    ["x-cr", "x-lf", "x-colon"].map((name) => message!.headers.get(name)),
    ["a\rb", "c\nd", "e:f"],
  );
  await message!.ack({ receipt: true });
  assertEquals(errors, []);
});
