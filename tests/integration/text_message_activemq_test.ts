// ActiveMQ 5.17 makes a JMS TextMessage of a SEND without content-length and
// a BytesMessage of one with it; STOMP consumers see the difference as the
// content-length header of the MESSAGE. The client's contentLength option
// and textContentLength default pick the TextMessage.

import { assertEquals } from "@std/assert";
import { BROKERS, connectTo } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as const };

Deno.test("StompClient with ActiveMQ: a text SEND without content-length arrives as a TextMessage (no content-length), with it as a BytesMessage", async () => {
  const stomp = await connectTo(BROKERS.activemqTcp, QUIET);
  const texts = await connectTo(BROKERS.activemqTcp, {
    ...QUIET,
    textContentLength: false,
  });
  try {
    const queue = uniqueQueue("amq-text");
    const subscription = await stomp.subscribe(queue, { receipt: true });
    await stomp.send(queue, "text ✓", { contentLength: false, receipt: true });
    await stomp.send(queue, "bytes ✓", { receipt: true });
    await texts.send(queue, "client default", { receipt: true });
    const transaction = await texts.begin();
    await transaction.send(queue, "in a transaction");
    await transaction.commit({ receipt: true });
    const seen: [string, string | null][] = [];
    for await (const message of subscription) {
      seen.push([message.text, message.headers.get("content-length") ?? null]);
      if (seen.length === 4) break;
    }
    assertEquals(seen, [
      ["text ✓", null],
      ["bytes ✓", "9"],
      ["client default", null],
      ["in a transaction", null],
    ]);
  } finally {
    await texts.disconnect();
    await stomp.disconnect();
  }
});
