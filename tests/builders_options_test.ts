// The frame builders' options from JavaScript: null is no options (so
// connect(null) says that the host is missing, as connect({}) does); a value
// that is not an object is a TypeError saying what it was.

import { assertEquals, assertThrows } from "@std/assert";
import * as frames from "../src/builders.ts";
import type { StompFrame } from "../mod.ts";

// deno-lint-ignore no-explicit-any
const none = null as any;

/** Each builder with its options argument given, and what it builds without. */
// deno-lint-ignore no-explicit-any
const BUILDERS: [string, (options: any) => StompFrame, StompFrame][] = [
  ["SEND", (o) => frames.send("/q", "x", o), frames.send("/q", "x")],
  [
    "SUBSCRIBE",
    (o) => frames.subscribe("0", "/q", o),
    frames.subscribe("0", "/q"),
  ],
  ["UNSUBSCRIBE", (o) => frames.unsubscribe("0", o), frames.unsubscribe("0")],
  ["ACK", (o) => frames.ack("m", o), frames.ack("m")],
  ["NACK", (o) => frames.nack("m", o), frames.nack("m")],
  ["BEGIN", (o) => frames.begin("t", o), frames.begin("t")],
  ["COMMIT", (o) => frames.commit("t", o), frames.commit("t")],
  ["ABORT", (o) => frames.abort("t", o), frames.abort("t")],
  ["DISCONNECT", (o) => frames.disconnect(o), frames.disconnect()],
  ["CONNECTED", (o) => frames.connected(o), frames.connected()],
  ["RECEIPT", (o) => frames.receipt("1", o), frames.receipt("1")],
  ["ERROR", (o) => frames.error("m", "b", o), frames.error("m", "b")],
];

const plain = (
  frame: StompFrame,
) => [frame.command, [...frame.headers], frame.text];

Deno.test("builders take null as no options", () => {
  for (const [command, build, without] of BUILDERS) {
    assertEquals(plain(build(none)), plain(without), command);
  }
});

Deno.test("connect, stomp and message given null or nothing say which field is missing", () => {
  for (const options of [none, undefined]) {
    assertThrows(
      () => frames.connect(options),
      TypeError,
      "Cannot build CONNECT frame: host must be a non-empty string, got undefined",
    );
    assertThrows(
      () => frames.stomp(options),
      TypeError,
      "Cannot build STOMP frame: host must be a non-empty string, got undefined",
    );
    assertThrows(
      () => frames.message("/q", "x", options),
      TypeError,
      "Cannot build MESSAGE frame: message-id must be a non-empty string, got undefined",
    );
  }
});

Deno.test("builders refuse options that are not an object, saying what they got", () => {
  const all: (readonly [string, (options: unknown) => StompFrame])[] = [
    ...BUILDERS.map(([command, build]) => [command, build] as const),
    ["CONNECT", frames.connect as (options: unknown) => StompFrame],
    ["STOMP", frames.stomp as (options: unknown) => StompFrame],
    ["MESSAGE", (o) => frames.message("/q", "x", o as frames.MessageOptions)],
  ];
  for (const [command, build] of all) {
    for (
      const [options, detail] of [
        [5, "got 5"],
        ["/", 'got "/"'],
        [() => {}, "got a function"],
      ] as const
    ) {
      assertThrows(
        () => build(options),
        TypeError,
        `Cannot build ${command} frame: options must be an object, ${detail}`,
      );
    }
  }
});
