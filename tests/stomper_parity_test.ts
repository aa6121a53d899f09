// Seed parity: every behaviour of the Python library stomper (frame builders,
// Frame.pack / unpack_frame, StompBuffer) has an equivalent test here.

import { assertEquals, assertThrows } from "@std/assert";
import {
  abort,
  ack,
  begin,
  commit,
  connect,
  decodeFrame,
  disconnect,
  encodeFrame,
  nack,
  send,
  StompDecoder,
  StompFrame,
  StompSyntaxError,
  subscribe,
  unsubscribe,
} from "../mod.ts";
import { bytes, decodeAllWays } from "./_decode.ts";

const DEST = "/queue/a";
const BODY = "This is the body text";
const BINBODY = new Uint8Array([0x00, 0x01, 0x03, 0x04, 0x05, 0x06]);
const wire = (frame: StompFrame, version: "1.0" | "1.1" | "1.2" = "1.2") =>
  new TextDecoder().decode(encodeFrame(frame, { version }));
const textMessage = (body = BODY, command: "SEND" | "MESSAGE" = "SEND") =>
  encodeFrame(new StompFrame(command, { destination: DEST }, body));

Deno.test("stomper parity: builders for every client command", () => {
  assertEquals(wire(commit("1234")), "COMMIT\ntransaction:1234\n\n\0");
  assertEquals(wire(abort("1234")), "ABORT\ntransaction:1234\n\n\0");
  assertEquals(wire(begin("1234")), "BEGIN\ntransaction:1234\n\n\0");
  assertEquals(
    wire(
      ack({ messageId: "1234", subscription: "1" }, { transaction: "9876" }),
      "1.1",
    ),
    "ACK\nmessage-id:1234\nsubscription:1\ntransaction:9876\n\n\0",
  );
  assertEquals(
    wire(nack({ messageId: "1234", subscription: "1" }), "1.1"),
    "NACK\nmessage-id:1234\nsubscription:1\n\n\0",
  );
  assertEquals(wire(unsubscribe("1")), "UNSUBSCRIBE\nid:1\n\n\0");
  assertEquals(
    wire(subscribe("0", "/queue/all", { ack: "client" })),
    "SUBSCRIBE\nid:0\ndestination:/queue/all\nack:client\n\n\0",
  );
  assertEquals(
    wire(
      connect({
        host: "localhost",
        login: "bob",
        passcode: "123",
        acceptVersion: ["1.1"],
        heartBeat: [1000, 1000],
      }),
    ),
    "CONNECT\naccept-version:1.1\nhost:localhost\nlogin:bob\npasscode:123\nheart-beat:1000,1000\n\n\0",
  );
  // stomper's disconnect(77) left out the blank line; ours is well formed.
  assertEquals(
    wire(disconnect({ receipt: "77" })),
    "DISCONNECT\nreceipt:77\n\n\0",
  );
  assertEquals(
    wire(
      send("/queue/myplace", "123 456 789", {
        contentType: "text/plain",
        transaction: "987",
      }),
    ),
    "SEND\ndestination:/queue/myplace\ncontent-type:text/plain\ntransaction:987\ncontent-length:11\n\n123 456 789\0",
  );
});

Deno.test("stomper parity: Frame.pack and unpack_frame round trip", () => {
  const frame = new StompFrame("MESSAGE", [["destination", "/queue/a"], [
    "message-id",
    "card_data",
  ]], "hello queue a");
  const packed = encodeFrame(frame);
  const unpacked = decodeFrame(packed);
  assertEquals(unpacked.command, "MESSAGE");
  assertEquals(unpacked.headers.get("destination"), "/queue/a");
  assertEquals(unpacked.headers.get("message-id"), "card_data");
  assertEquals(unpacked.text, "hello queue a");
  assertEquals(encodeFrame(unpacked), packed);
  // Frame.cmd = 'SOME UNKNOWN CMD' raised FrameError; unpack(None / '') too.
  assertThrows(() => new StompFrame("SOME UNKNOWN CMD" as "SEND"), TypeError);
  assertThrows(() => decodeFrame(new Uint8Array(0)), StompSyntaxError);
  assertEquals(wire(new StompFrame("DISCONNECT")), "DISCONNECT\n\n\0");
});

Deno.test("stomper parity: unpack_frame of CONNECTED keeps the session header whole", () => {
  const frame = decodeFrame(
    bytes(
      "CONNECTED\nversion:1.1\nsession:ID:snorky.local-49191-1185461799654-3:18\n\n\0\n",
    ),
  );
  assertEquals(
    frame.headers.get("session"),
    "ID:snorky.local-49191-1185461799654-3:18",
  );
  assertEquals(frame.body.length, 0);
});

Deno.test("stomper parity: StompBuffer one complete text and binary message", () => {
  const text = decodeAllWays(textMessage());
  assertEquals(text.frames.length, 1);
  assertEquals(new TextDecoder().decode(text.frames[0]!.body), BODY);
  assertEquals(text.frames[0]!.headers[0], ["destination", DEST]);
  const binary = decodeAllWays(encodeFrame(send(DEST, BINBODY)));
  assertEquals(binary.frames[0]!.body, BINBODY);
});

Deno.test("stomper parity: StompBuffer holds nothing after a whole message", () => {
  const decoder = new StompDecoder();
  assertEquals(decoder.push(textMessage()).length, 1);
  assertEquals(decoder.buffered, 0);
  assertEquals(decoder.push(new Uint8Array(0)), []);
  decoder.end();
});

Deno.test("stomper parity: StompBuffer waits for every fragment", () => {
  for (const message of [textMessage(), encodeFrame(send(DEST, BINBODY))]) {
    const decoder = new StompDecoder();
    assertEquals(decoder.push(message.subarray(0, 20)), []);
    assertEquals(decoder.push(message.subarray(20)).length, 1);
    assertEquals(decoder.buffered, 0);
  }
});

Deno.test("stomper parity: StompBuffer messages accrete and come out in order", () => {
  const all = [
    textMessage("blah1"),
    textMessage("blah2"),
    textMessage("blah3"),
  ];
  const out = decodeAllWays(new Uint8Array(all.flatMap((m) => [...m])));
  assertEquals(out.frames.map((f) => new TextDecoder().decode(f.body)), [
    "blah1",
    "blah2",
    "blah3",
  ]);
});

Deno.test("stomper parity: StompBuffer confusing message with a fake frame inside", () => {
  const body =
    "SUBSCRIBE\ncontent-length:27\n\0\ndestination:/queue/confusion\n\n\0\n";
  const out = decodeAllWays(encodeFrame(send(DEST, body)));
  assertEquals(out.frames.length, 1);
  assertEquals(out.frames[0]!.command, "SEND");
  assertEquals(new TextDecoder().decode(out.frames[0]!.body), body);
});

Deno.test("stomper parity: StompBuffer every command", () => {
  for (
    const command of [
      "SEND",
      "SUBSCRIBE",
      "UNSUBSCRIBE",
      "BEGIN",
      "COMMIT",
      "ABORT",
      "ACK",
      "DISCONNECT",
      "CONNECTED",
      "MESSAGE",
      "RECEIPT",
      "ERROR",
    ] as const
  ) {
    const out = decodeAllWays(
      encodeFrame(new StompFrame(command, { destination: DEST }, BODY)),
    );
    assertEquals(out.frames[0]!.command, command);
    assertEquals(new TextDecoder().decode(out.frames[0]!.body), BODY);
  }
});

const RESYNC = { resync: true, onError() {} } as const;

Deno.test("stomper parity: syncBuffer leaves a partial command alone", () => {
  const out = decodeAllWays("BLAHBLAH", RESYNC);
  // Nothing is dropped until it can be judged; at the end it is reported.
  assertEquals(out.frames, []);
  assertEquals(out.reported.map((e) => e.message), [
    "Input ended inside a frame that started at byte 0",
  ]);
});

Deno.test("stomper parity: syncBuffer drops rubbish up to the next frame end", () => {
  const clobbered = decodeAllWays("rubbish\nmorerubbish", RESYNC);
  assertEquals(clobbered.frames, []);
  const remainder = decodeAllWays(
    `rubbish\0\n${new TextDecoder().decode(textMessage())}`,
    RESYNC,
  );
  assertEquals(remainder.frames.length, 1);
  assertEquals(remainder.reported.length, 1);
  const twice = decodeAllWays("rubbish\0\nNOTACOMMAND\n\n\0", RESYNC);
  assertEquals(twice.frames, []);
  assertEquals(twice.reported.map((e) => e.message), [
    "Unexpected NUL in header block at byte 7",
    'Unknown command "NOTACOMMAND" at byte 9',
  ]);
});

Deno.test("stomper parity: syncBuffer handles embedded NULs and keeps the real message", () => {
  const out = decodeAllWays(
    `rubbish\0\nmorerubbish\0\n${new TextDecoder().decode(textMessage())}`,
    RESYNC,
  );
  assertEquals(out.frames.length, 1);
  assertEquals(new TextDecoder().decode(out.frames[0]!.body), BODY);
  // stomper dropped a real message that followed rubbish without "\0\n"; the
  // decoder cannot tell it from the rubbish's own headers either.
  const lost = decodeAllWays(
    `rubbish\n${new TextDecoder().decode(textMessage())}`,
    RESYNC,
  );
  assertEquals(lost.frames, []);
  assertEquals(lost.reported.length, 1);
});
