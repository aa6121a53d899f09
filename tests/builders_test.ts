import { assertEquals, assertThrows } from "@std/assert";
import * as frames from "../src/builders.ts";
import { encodeFrame, type StompFrame } from "../mod.ts";

const wire = (frame: StompFrame, version: "1.0" | "1.1" | "1.2" = "1.2") =>
  new TextDecoder().decode(encodeFrame(frame, { version }));

Deno.test("connect and stomp write versions, host, credentials and heart-beats", () => {
  assertEquals(
    wire(
      frames.connect({
        host: "/",
        login: "guest",
        passcode: "guest",
        heartBeat: [1000, 2000],
      }),
    ),
    "CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:1000,2000\n\n\0",
  );
  assertEquals(
    wire(
      frames.stomp({
        host: "vh",
        acceptVersion: ["1.2"],
        headers: { "client-id": "x" },
      }),
    ),
    "STOMP\naccept-version:1.2\nhost:vh\nclient-id:x\n\n\0",
  );
  assertThrows(
    () => frames.connect({ host: "" }),
    TypeError,
    "Cannot build CONNECT frame: host must be a non-empty string",
  );
  assertThrows(
    () => frames.connect({ host: "/", acceptVersion: [] }),
    TypeError,
    "accept-version",
  );
  assertThrows(
    () => frames.connect({ host: "/", acceptVersion: ["2.0" as "1.2"] }),
    TypeError,
    "accept-version",
  );
  assertThrows(
    () => frames.connect({ host: "/", heartBeat: [-1, 0] }),
    TypeError,
    "heart-beat must be two non-negative integers",
  );
  assertThrows(
    () => frames.stomp({ host: "/", heartBeat: [1.5, 0] }),
    TypeError,
    "Cannot build STOMP frame",
  );
});

Deno.test("send writes destination, content type, transaction, receipt and body", () => {
  assertEquals(
    wire(
      frames.send("/queue/a", "hi", {
        contentType: "text/plain",
        transaction: "t1",
        receipt: "r1",
        headers: [["x", "1"]],
      }),
    ),
    "SEND\ndestination:/queue/a\ncontent-type:text/plain\ntransaction:t1\nreceipt:r1\nx:1\ncontent-length:2\n\nhi\0",
  );
  assertEquals(
    frames.send("/q", new Uint8Array([0, 255])).body,
    new Uint8Array([0, 255]),
  );
  assertEquals(wire(frames.send("/q")), "SEND\ndestination:/q\n\n\0");
  assertThrows(
    () => frames.send(""),
    TypeError,
    "Cannot build SEND frame: destination must be a non-empty string",
  );
  assertThrows(
    () => frames.send("/q", "x", { receipt: "" }),
    TypeError,
    "receipt",
  );
});

Deno.test("subscribe and unsubscribe write id, destination, ack and receipt", () => {
  assertEquals(
    wire(frames.subscribe("0", "/queue/a")),
    "SUBSCRIBE\nid:0\ndestination:/queue/a\nack:auto\n\n\0",
  );
  assertEquals(
    wire(
      frames.subscribe("1", "/topic/t", {
        ack: "client",
        receipt: "r",
        headers: { "prefetch-count": "10" },
      }),
    ),
    "SUBSCRIBE\nid:1\ndestination:/topic/t\nack:client\nreceipt:r\nprefetch-count:10\n\n\0",
  );
  assertThrows(
    () => frames.subscribe("1", "/q", { ack: "manual" as "client" }),
    TypeError,
    "ack must be",
  );
  assertThrows(() => frames.subscribe("", "/q"), TypeError, "id must be");
  assertEquals(
    wire(frames.unsubscribe("1", { receipt: "r" })),
    "UNSUBSCRIBE\nid:1\nreceipt:r\n\n\0",
  );
  assertThrows(
    () => frames.unsubscribe(""),
    TypeError,
    "Cannot build UNSUBSCRIBE frame",
  );
});

Deno.test("ack and nack write the 1.2, 1.1 and 1.0 forms", () => {
  assertEquals(
    wire(frames.ack("m1", { transaction: "t" })),
    "ACK\nid:m1\ntransaction:t\n\n\0",
  );
  assertEquals(wire(frames.ack({ id: "m2" })), "ACK\nid:m2\n\n\0");
  assertEquals(
    wire(
      frames.nack({ messageId: "m3", subscription: "s" }, { receipt: "r" }),
      "1.1",
    ),
    "NACK\nmessage-id:m3\nsubscription:s\nreceipt:r\n\n\0",
  );
  assertEquals(
    wire(frames.ack({ messageId: "m4" }), "1.0"),
    "ACK\nmessage-id:m4\n\n\0",
  );
  assertThrows(
    () => frames.ack(""),
    TypeError,
    "Cannot build ACK frame: id must be",
  );
  assertThrows(
    () => frames.nack({ messageId: "" }),
    TypeError,
    "Cannot build NACK frame: message-id",
  );
  assertThrows(
    () => frames.ack(42 as unknown as string),
    TypeError,
    "expected an id",
  );
});

Deno.test("begin, commit and abort write the transaction", () => {
  for (
    const [build, command] of [[frames.begin, "BEGIN"], [
      frames.commit,
      "COMMIT",
    ], [frames.abort, "ABORT"]] as const
  ) {
    assertEquals(
      wire(build("tx", { receipt: "r" })),
      `${command}\ntransaction:tx\nreceipt:r\n\n\0`,
    );
    assertThrows(
      () => build(""),
      TypeError,
      `Cannot build ${command} frame: transaction`,
    );
  }
});

Deno.test("disconnect writes an optional receipt", () => {
  assertEquals(wire(frames.disconnect()), "DISCONNECT\n\n\0");
  assertEquals(
    wire(frames.disconnect({ receipt: "77" })),
    "DISCONNECT\nreceipt:77\n\n\0",
  );
});

Deno.test("server builders write CONNECTED, MESSAGE, RECEIPT and ERROR", () => {
  assertEquals(
    wire(
      frames.connected({
        version: "1.2",
        heartBeat: [0, 0],
        session: "s",
        server: "stomper/0",
      }),
    ),
    "CONNECTED\nversion:1.2\nheart-beat:0,0\nsession:s\nserver:stomper/0\n\n\0",
  );
  assertEquals(wire(frames.connected()), "CONNECTED\n\n\0");
  assertThrows(
    () => frames.connected({ version: "9" as "1.2" }),
    TypeError,
    "unknown version",
  );
  assertEquals(
    wire(
      frames.message("/q", "b", {
        messageId: "1",
        subscription: "0",
        ack: "a1",
        contentType: "text/plain",
      }),
    ),
    "MESSAGE\ndestination:/q\nmessage-id:1\nsubscription:0\nack:a1\ncontent-type:text/plain\ncontent-length:1\n\nb\0",
  );
  assertThrows(
    () => frames.message("/q", "", { messageId: "", subscription: "0" }),
    TypeError,
    "message-id",
  );
  assertEquals(wire(frames.receipt("9")), "RECEIPT\nreceipt-id:9\n\n\0");
  assertThrows(() => frames.receipt(""), TypeError, "receipt-id");
  assertEquals(
    wire(
      frames.error("Bad", "details", {
        receiptId: "9",
        contentType: "text/plain",
      }),
    ),
    "ERROR\nmessage:Bad\nreceipt-id:9\ncontent-type:text/plain\ncontent-length:7\n\ndetails\0",
  );
  assertThrows(
    () => frames.error(""),
    TypeError,
    "Cannot build ERROR frame: message",
  );
});
