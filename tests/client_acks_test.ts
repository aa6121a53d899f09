// The form of an acknowledgement by version (src/client/_acks.ts), shared by
// the session's ACK and NACK frames and the client's fast path.

import { assertEquals } from "@std/assert";
import { connected, message, StompHeaders } from "@stomper/stomp";
import { StompSession } from "@stomper/stomp/client";
import { ackList, ackTarget } from "../src/client/_acks.ts";

const delivery = message("/queue/a", "hi", {
  messageId: "m-1",
  subscription: "sub-1",
  ack: "a-1",
});

Deno.test("ackTarget names what each version acknowledges by", () => {
  assertEquals(ackTarget("1.2", delivery.headers), "a-1");
  assertEquals(ackTarget("1.1", delivery.headers), {
    messageId: "m-1",
    subscription: "sub-1",
  });
  assertEquals(ackTarget("1.0", delivery.headers), { messageId: "m-1" });
  const bare = new StompHeaders({ "message-id": "m-2" });
  assertEquals(ackTarget("1.2", bare), undefined);
  assertEquals(ackTarget("1.1", bare), { messageId: "m-2" });
});

Deno.test("ackList gives the fast path's headers, or leaves the frame to the builder", () => {
  assertEquals(ackList("ACK", "1.2", delivery.headers), ["id", "a-1"]);
  assertEquals(ackList("NACK", "1.1", delivery.headers), [
    "message-id",
    "m-1",
    "subscription",
    "sub-1",
  ]);
  assertEquals(ackList("ACK", "1.0", delivery.headers), ["message-id", "m-1"]);
  // NACK is not STOMP 1.0: the session refuses it with its own error.
  assertEquals(ackList("NACK", "1.0", delivery.headers), undefined);
  const empty = new StompHeaders({ "message-id": "", ack: "" });
  assertEquals(ackList("ACK", "1.2", empty), undefined);
  assertEquals(ackList("ACK", "1.1", empty), undefined);
});

Deno.test("ackList and the session's ACK frame carry the same headers", () => {
  for (const version of ["1.0", "1.1", "1.2"] as const) {
    const session = new StompSession({ heartBeat: [0, 0] });
    session.connectFrame();
    session.receive(connected({ version }));
    const { frame } = session.ack(delivery);
    const list: string[] = [];
    for (const [name, value] of frame.headers) list.push(name, value);
    assertEquals(ackList("ACK", version, delivery.headers), list);
  }
});
