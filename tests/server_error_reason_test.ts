// The server's whole reason in StompServerError.message: the `message`
// header and the body, whitespace collapsed, cut at 500 characters; a
// binary body is not dumped, a body that repeats the header is not said
// twice. Then the same text through the client (a scripted server) and the
// CLI, in process.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import { connected, error, StompFrame } from "@stomper/stomp";
import { StompClient, StompServerError } from "@stomper/stomp/client";
import { type CliIO, runCli } from "../src/cli.ts";
import { scriptedServer } from "./_peer.ts";

// What RabbitMQ sends a STOMP client whose connection an operator closed
// (`rabbitmqctl close_all_connections "maintenance window"`).
const RABBITMQ_BODY = `Reason: {shutdown,
            {connection_closing,
             {server_initiated_close,320,<<"maintenance window">>}}}
`;
const RABBITMQ_REASON =
  'AMQP channel died: Reason: {shutdown, {connection_closing, {server_initiated_close,320,<<"maintenance window">>}}}';

function serverError(
  message: string | undefined,
  body: string | Uint8Array = "",
): StompServerError {
  return new StompServerError(
    new StompFrame(
      "ERROR",
      message === undefined ? {} : { message },
      body,
    ),
  );
}

Deno.test("StompServerError message carries a multi-line RabbitMQ reason whole, whitespace collapsed", () => {
  const failure = serverError("AMQP channel died", RABBITMQ_BODY);
  assertEquals(failure.message, RABBITMQ_REASON);
  // The body itself is kept as sent.
  assertEquals(failure.details, RABBITMQ_BODY);
});

Deno.test("StompServerError message collapses CRLF, tabs and blank lines to one space", () => {
  assertEquals(
    serverError(
      "Unknown destination",
      "'/bogus/x' is not a valid destination.\r\n\r\n\tValid destination types are: /queue, /topic.\r\n",
    ).message,
    "Unknown destination: '/bogus/x' is not a valid destination. Valid destination types are: /queue, /topic.",
  );
  assertEquals(
    serverError("  Bad \n CONNECT  ", "Access refused").message,
    "Bad CONNECT: Access refused",
  );
});

Deno.test("StompServerError message does not dump a binary body", () => {
  const failure = serverError(
    "Bad frame",
    new Uint8Array([0x00, 0x01, 0x1b, 0x5b, 0xff, 0xfe]),
  );
  assertEquals(failure.message, "Bad frame (binary body of 6 bytes)");
  assertEquals(
    serverError(undefined, new Uint8Array([0xc3, 0x28])).message,
    "Server sent ERROR with a binary body of 2 bytes",
  );
});

Deno.test("StompServerError message is cut at 500 characters of a huge body, with an ellipsis", () => {
  const body = "word ".repeat(1024 * 1024);
  const failure = serverError("Too big", body);
  assertEquals(failure.message.length, 500);
  assert(failure.message.startsWith("Too big: word word "));
  assert(failure.message.endsWith("…"));
  assertEquals(failure.details.length, body.length);
  // A cut never splits a character in two.
  const wide = serverError("Trop", "😀".repeat(1000)).message;
  assertLessOrEqual(wide.length, 500);
  assert(wide.endsWith("😀…"), wide.slice(-4));
  // A huge header is cut too.
  assertEquals(serverError("m".repeat(10000)).message.length, 500);
});

Deno.test("StompServerError message with an empty body is the message header", () => {
  assertEquals(serverError("Bad login").message, "Bad login");
  assertEquals(serverError("Bad login", " \n\n ").message, "Bad login");
  assertEquals(
    serverError(undefined).message,
    "Server sent ERROR without a message",
  );
  assertEquals(
    serverError(undefined, "only\nthe body").message,
    "Server sent ERROR: only the body",
  );
});

Deno.test("StompServerError message does not say twice a body that repeats the header", () => {
  assertEquals(
    serverError("Processing error", "Processing error").message,
    "Processing error",
  );
  assertEquals(
    serverError("Processing error", "Processing\n error\n").message,
    "Processing error",
  );
  // A body that starts with the header says everything.
  assertEquals(
    serverError("not_found", "not_found - no queue 'q' in vhost '/'\n")
      .message,
    "not_found - no queue 'q' in vhost '/'",
  );
});

Deno.test("StompServerError message replaces control characters of the header", () => {
  const failure = serverError("Bad \x1b[31mred\x1b[0m \x00 thing");
  assertEquals(failure.message, "Bad \ufffd[31mred\ufffd[0m \ufffd thing");
  // C1 controls in a text body too (C0 ones make it binary).
  assertEquals(serverError("Bad", "a\u009bb").message, "Bad: a\ufffdb");
});

Deno.test("StompServerError message reads a body kept as chunks, in order", () => {
  const encoder = new TextEncoder();
  const frame = StompFrame.fromChunks("ERROR", {
    message: "AMQP channel died",
  }, [
    encoder.encode("Reason: {shutdown,\n  "),
    encoder.encode("{connection_closing}}"),
  ]);
  assertEquals(frame.bodyChunks.length, 2);
  assertEquals(
    new StompServerError(frame).message,
    "AMQP channel died: Reason: {shutdown, {connection_closing}}",
  );
});

/** A scripted server: CONNECTED, then a multi-line ERROR for the SUBSCRIBE. */
function refusingServer() {
  return scriptedServer(async (peer) => {
    await peer.expect("CONNECT");
    await peer.send(connected({ version: "1.2" }));
    const subscribe = await peer.expect("SUBSCRIBE");
    await peer.send(
      error("AMQP channel died", RABBITMQ_BODY, {
        receiptId: subscribe.headers.get("receipt")!,
      }),
    );
    await peer.end();
  });
}

Deno.test("StompClient subscribe refused by a scripted server rejects with the whole multi-line reason", async () => {
  await using server = refusingServer();
  await using client = await StompClient.connectUrl(server.url, {
    onError: () => {},
  });
  const refused = await assertRejects(() =>
    client.subscribe("/queue/a", { receipt: true })
  );
  assertInstanceOf(refused, StompServerError);
  assertEquals(refused.message, RABBITMQ_REASON);
});

Deno.test("runCli prints the whole multi-line reason of a scripted server's ERROR", async () => {
  await using server = refusingServer();
  const err: string[] = [];
  const io: CliIO = { print: () => {}, error: (line) => err.push(line) };
  const status = await runCli(["subscribe", server.url, "/queue/a"], io);
  assertEquals(status, 1);
  const printed = err.join("\n");
  assert(printed.includes(RABBITMQ_REASON), printed);
});
