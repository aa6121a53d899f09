// The codec and transport scenarios every broker and transport goes through.
// Each codec_*_test.ts file calls codecScenarios() for its targets.

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
} from "@std/assert";
import {
  abort,
  ack,
  type AckMode,
  begin,
  commit,
  disconnect,
  HEARTBEAT,
  nack,
  send,
  StompFrame,
  StompSyntaxError,
  type StompVersion,
  subscribe,
  unsubscribe,
} from "@stomper/stomp";
import { WebSocketClosedError } from "@stomper/stomp/transports";
import {
  assertBody,
  GUEST,
  openSession,
  type SessionOptions,
  type Target,
} from "./_codec_session.ts";
import type { RawPeer } from "../_peer.ts";
import { randomBytes, sleep, uniqueQueue } from "../_helpers.ts";
import { ChaosRelay } from "../_chaos.ts";

const utf8 = new TextEncoder();

/** The id to ACK or NACK a MESSAGE with, in the form the version wants. */
function ackTarget(message: StompFrame, version: StompVersion) {
  const messageId = message.headers.get("message-id")!;
  switch (version) {
    case "1.2":
      return message.headers.get("ack")!;
    case "1.1":
      return { messageId, subscription: message.headers.get("subscription")! };
    case "1.0":
      return { messageId };
  }
}

/** Subscribes with a receipt and waits for it, so later sends are delivered. */
async function subscribed(
  session: RawPeer,
  id: string,
  destination: string,
  ackMode: AckMode = "auto",
) {
  const receipt = `sub-${id}`;
  await session.send(subscribe(id, destination, { ack: ackMode, receipt }));
  const frame = await session.expect("RECEIPT");
  assertEquals(frame.headers.get("receipt-id"), receipt);
}

/** Reads MESSAGE frames until `count` have come, returning their texts. */
async function texts(session: RawPeer, count: number) {
  const frames = [];
  while (frames.length < count) frames.push(await session.expect("MESSAGE"));
  return frames;
}

/**
 * Registers the scenarios for one broker and transport. Test names start
 * with the transport function and say what the broker showed.
 */
export function codecScenarios(target: Target): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test(`${target.symbol} with ${target.name} ${name}`, fn);
  const open = (options?: SessionOptions) => openSession(target, options);

  test("negotiates STOMP 1.0, 1.1 and 1.2, and acks in each version's form", async () => {
    for (const version of ["1.0", "1.1", "1.2"] as const) {
      await using session = await open({ acceptVersion: [version] });
      assertEquals(session.version, version);
      assertMatch(
        session.connected!.headers.get("server") ?? "",
        target.broker === "rabbitmq" ? /^RabbitMQ\// : /^ActiveMQ\//,
      );
      const queue = uniqueQueue(`v${version}`);
      // STOMP 1.0 has no client-individual.
      const mode = version === "1.0" ? "client" : "client-individual";
      await subscribed(session, "s", queue, mode);
      // From 1.1 on a colon and a backslash in a value travel escaped (\c,
      // \\); STOMP 1.0 has no escaping (see the next test for what brokers do).
      const note = version === "1.0" ? "plain value" : "a:b\\c";
      await session.send(
        send(queue, `body ${version}`, { headers: { "x-note": note } }),
      );
      const message = await session.expect("MESSAGE");
      assertEquals(message.text, `body ${version}`);
      assertEquals(message.headers.get("x-note"), note);
      assertEquals(message.headers.get("subscription"), "s");
      await session.send(
        ack(ackTarget(message, version), { receipt: `ack-${version}` }),
      );
      assertEquals(
        (await session.expect("RECEIPT")).headers.get("receipt-id"),
        `ack-${version}`,
      );
    }
  });

  test("escapes headers under STOMP 1.0 although 1.0 has no escaping", async () => {
    // Measured: both brokers turn "\\c" into ":" on input even under 1.0;
    // RabbitMQ also writes ":" as "\\c" on output. The codec follows the
    // specification (no escaping under 1.0), so these values come back changed.
    await using session = await open({ acceptVersion: ["1.0"] });
    const queue = uniqueQueue("escape-1.0");
    await subscribed(session, "s", queue);
    await session.send(
      send(queue, "x", { headers: { "x-colon": "a:b", "x-escape": "c\\cd" } }),
    );
    const message = await session.expect("MESSAGE");
    if (target.broker === "rabbitmq") {
      assertEquals(message.headers.get("x-colon"), "a\\cb");
      assertEquals(message.headers.get("x-escape"), "c\\cd");
    } else {
      assertEquals(message.headers.get("x-colon"), "a:b");
      assertEquals(message.headers.get("x-escape"), "c:d");
    }
  });

  test("subscribes, sends and receives, with receipts for each", async () => {
    await using session = await open();
    const queue = uniqueQueue("receipt");
    await subscribed(session, "0", queue);
    await session.send(
      send(queue, "hello", {
        receipt: "sent-1",
        contentType: "text/plain;charset=utf-8",
      }),
    );
    // RabbitMQ may deliver the MESSAGE before the RECEIPT: take both, any order.
    const frames = await session.take(2);
    const receipt = frames.find((f) => f.command === "RECEIPT");
    const message = frames.find((f) => f.command === "MESSAGE");
    assertEquals(receipt?.headers.get("receipt-id"), "sent-1");
    assert(message !== undefined, "no MESSAGE came");
    assertEquals(message.text, "hello");
    assertEquals(message.headers.get("destination"), queue);
    assertEquals(message.headers.get("subscription"), "0");
    assert(message.headers.has("message-id"));
    assertEquals(
      message.headers.get("content-type"),
      "text/plain;charset=utf-8",
    );
  });

  /**
   * Sends three messages to a fresh queue, receives them with the ack mode,
   * lets `settle` ACK some, then drops the connection without DISCONNECT and
   * returns the texts a new subscriber gets before a marker message.
   */
  async function redeliveredAfter(
    mode: AckMode,
    settle: (session: RawPeer, messages: StompFrame[]) => Promise<void>,
  ): Promise<string[]> {
    const queue = uniqueQueue(`ack-${mode}`);
    {
      await using session = await open();
      await subscribed(session, "0", queue, mode);
      for (const text of ["m1", "m2", "m3"]) {
        await session.send(send(queue, text));
      }
      const messages = await texts(session, 3);
      assertEquals(messages.map((m) => m.text), ["m1", "m2", "m3"]);
      await settle(session, messages);
      // Dropped without DISCONNECT: the broker requeues what is not acked.
    }
    await using again = await open();
    await subscribed(again, "0", queue, "auto");
    await again.send(send(queue, "marker"));
    const got: string[] = [];
    while (true) {
      const message = await again.expect("MESSAGE");
      if (message.text === "marker") return got;
      got.push(message.text);
    }
  }

  test("acks automatically in ack mode auto", async () => {
    assertEquals(await redeliveredAfter("auto", async () => {}), []);
  });

  test("acks cumulatively in ack mode client", async () => {
    const redelivered = await redeliveredAfter("client", async (s, m) => {
      await s.send(ack(m[1]!.headers.get("ack")!, { receipt: "acked" }));
      await s.expect("RECEIPT");
    });
    // ACK of m2 covers m1 too.
    assertEquals(redelivered, ["m3"]);
  });

  test("acks one message at a time in ack mode client-individual", async () => {
    const redelivered = await redeliveredAfter(
      "client-individual",
      async (s, m) => {
        await s.send(ack(m[1]!.headers.get("ack")!, { receipt: "acked" }));
        await s.expect("RECEIPT");
      },
    );
    assertEquals(redelivered, ["m1", "m3"]);
  });

  test("without any ACK in ack mode client, redelivers everything", async () => {
    // The control for the ack tests: nothing acked, nothing lost.
    assertEquals(
      await redeliveredAfter("client", async () => {}),
      ["m1", "m2", "m3"],
    );
  });

  test("takes NACK (RabbitMQ requeues the message, ActiveMQ drops it)", async () => {
    await using session = await open();
    const queue = uniqueQueue("nack");
    await subscribed(session, "0", queue, "client-individual");
    await session.send(send(queue, "refused"));
    const first = await session.expect("MESSAGE");
    await session.send(nack(first.headers.get("ack")!, { receipt: "nacked" }));
    const frames = await session.take(
      target.broker === "rabbitmq" ? 2 : 1,
    );
    assert(
      frames.some((f) =>
        f.command === "RECEIPT" && f.headers.get("receipt-id") === "nacked"
      ),
      "no RECEIPT for the NACK",
    );
    if (target.broker === "rabbitmq") {
      // requeue defaults to true: the message comes again, marked redelivered.
      const again = frames.find((f) => f.command === "MESSAGE");
      assertEquals(again?.text, "refused");
      assertEquals(again?.headers.get("redelivered"), "true");
      await session.send(ack(again!.headers.get("ack")!));
    } else {
      // ActiveMQ poison-acks it: with persistence off it is discarded.
      await session.send(send(queue, "marker"));
      assertEquals((await session.expect("MESSAGE")).text, "marker");
    }
  });

  test("delivers a transaction's messages on COMMIT, not before", async () => {
    await using session = await open();
    const queue = uniqueQueue("commit");
    await subscribed(session, "0", queue);
    await session.send(begin("tx1"));
    await session.send(send(queue, "t1", { transaction: "tx1" }));
    await session.send(send(queue, "t2", { transaction: "tx1" }));
    await session.send(send(queue, "outside"));
    // Had the transaction's messages gone out, they would precede this one.
    assertEquals((await session.expect("MESSAGE")).text, "outside");
    await session.send(commit("tx1", { receipt: "committed" }));
    const frames = await session.take(3);
    assertEquals(
      frames.filter((f) => f.command === "MESSAGE").map((f) => f.text),
      ["t1", "t2"],
    );
    assert(frames.some((f) => f.headers.get("receipt-id") === "committed"));
  });

  test("drops a transaction's messages on ABORT", async () => {
    await using session = await open();
    const queue = uniqueQueue("abort");
    await subscribed(session, "0", queue);
    await session.send(begin("tx2"));
    await session.send(send(queue, "never", { transaction: "tx2" }));
    await session.send(abort("tx2", { receipt: "aborted" }));
    assertEquals(
      (await session.expect("RECEIPT")).headers.get("receipt-id"),
      "aborted",
    );
    await session.send(send(queue, "marker"));
    assertEquals((await session.expect("MESSAGE")).text, "marker");
    await session.expectNothing(300);
  });

  test("stops delivering to a subscription after UNSUBSCRIBE", async () => {
    await using session = await open();
    const queue = uniqueQueue("unsub");
    await subscribed(session, "old", queue);
    await session.send(unsubscribe("old", { receipt: "gone" }));
    assertEquals(
      (await session.expect("RECEIPT")).headers.get("receipt-id"),
      "gone",
    );
    await session.send(send(queue, "waits in the queue"));
    await session.expectNothing(300);
    await subscribed(session, "new", queue);
    const message = await session.expect("MESSAGE");
    assertEquals(message.text, "waits in the queue");
    assertEquals(message.headers.get("subscription"), "new");
  });

  test(
    target.websocket
      ? "closes the socket normally on DISCONNECT (Web-STOMP sends no RECEIPT)"
      : "answers DISCONNECT with its RECEIPT, then closes",
    async () => {
      await using session = await open();
      await session.send(disconnect({ receipt: "bye" }));
      if (!target.websocket) {
        const receipt = await session.expect("RECEIPT");
        assertEquals(receipt.headers.get("receipt-id"), "bye");
      }
      // The broker closes: the stream ends without an error (code 1000 on WS).
      assertEquals(await session.end(5000), {});
    },
  );

  if (target.textFrames) {
    test("carries UTF-8 bodies as text messages", async () => {
      await using session = await open();
      const queue = uniqueQueue("text");
      await subscribed(session, "0", queue);
      const text = "h\u00e9llo \u{1F600} \u4e16\u754c";
      await session.send(send(queue, text));
      assertEquals((await session.expect("MESSAGE")).text, text);
    });

    test("breaks on a body that is not UTF-8 (text frames cannot carry it)", async () => {
      await using session = await open({
        transport: { messageType: "binary" },
      });
      const queue = uniqueQueue("text-binary");
      await subscribed(session, "0", queue);
      // Sent as a binary message: the broker takes it, but must deliver it
      // in a text message, which is not valid UTF-8, so the socket dies.
      await session.send(send(queue, new Uint8Array([0x61, 0x00, 0xff])));
      const ending = await session.end(5000);
      assertInstanceOf(ending.error, WebSocketClosedError);
      assertEquals(ending.error.wasClean, false);
      // Deno's WebSocket refuses the text message and says why.
      assertMatch(ending.error.message, /\(Invalid UTF-8\)$/);
    });
  } else {
    test("round-trips a binary body with NUL and 0xFF byte-exact", async () => {
      await using session = await open();
      const queue = uniqueQueue("binary");
      await subscribed(session, "0", queue);
      // Every byte value twice, NUL and 0xFF included, then an 0xFF 0x00 end.
      const body = new Uint8Array(514).map((_, i) => i < 512 ? i % 256 : 0xff);
      body[513] = 0x00;
      assert(body.includes(0x00) && body.includes(0xff));
      await session.send(send(queue, body));
      assertBody(await session.expect("MESSAGE"), body);
    });
  }

  test("round-trips a 10 MiB message", async () => {
    await using session = await open();
    const queue = uniqueQueue("big");
    await subscribed(session, "0", queue);
    // Random bytes are not UTF-8; a text-mode socket needs text.
    const body = target.textFrames
      ? utf8.encode("x".repeat(10 * 1024 * 1024))
      : randomBytes(10 * 1024 * 1024);
    const started = performance.now();
    await session.send(send(queue, body));
    const message = await session.expect("MESSAGE", 30_000);
    const ms = performance.now() - started;
    assertBody(message, body);
    console.log(`  10 MiB round trip over ${target.name}: ${ms.toFixed(0)} ms`);
  });

  test("negotiates heart-beats, and they flow both ways", async () => {
    // Ask for a beat every 1000 ms (RabbitMQ's minimum) and send our own.
    await using session = await open({ heartBeat: [1000, 1000] });
    const [serverSends, serverWants] = session.connected!.headers
      .get("heart-beat")!.split(",").map(Number) as [number, number];
    assert(serverSends > 0, `server offers no heart-beats: ${serverSends}`);
    const interval = Math.max(serverSends, 1000);
    const start = performance.now();
    session.heartbeatTimes.length = 0;
    // Keep our side alive for 3 intervals (the server wants beats too); the
    // session decodes what comes as it comes, timing each heart-beat.
    const beating = (async () => {
      while (performance.now() - start < 3 * interval) {
        if (serverWants > 0) await session.send(HEARTBEAT);
        await sleep(Math.min(serverWants || 500, 500) / 2);
      }
    })();
    try {
      await session.expectNothing(3 * interval);
    } finally {
      await beating.catch(() => {}); // a failed send shows as the read's failure
    }
    const beats = session.heartbeatTimes.filter((t) => t >= start);
    assertGreaterOrEqual(beats.length, 2, `heart-beats: ${beats.length}`);
    const gaps = beats.slice(1).map((t, i) => t - beats[i]!);
    // Each EOL comes within the interval, with slack for timers.
    for (const gap of gaps) assertLessOrEqual(gap, interval * 1.5);
    // Still connected: a receipt comes back.
    await session.send(
      subscribe("hb", uniqueQueue("hb"), { receipt: "alive" }),
    );
    assertEquals(
      (await session.expect("RECEIPT")).headers.get("receipt-id"),
      "alive",
    );
  });

  test("sends no heart-beats when none are asked for", async () => {
    // The control for the heart-beat test.
    await using session = await open({ heartBeat: [0, 0] });
    const start = performance.now();
    await session.expectNothing(1500);
    // RabbitMQ ends each frame with an EOL; skip the one after CONNECTED.
    const beats = session.heartbeatTimes.filter((t) => t > start + 200);
    assertEquals(beats.length, 0);
  });

  if (target.broker === "rabbitmq") {
    test("answers a bad login with an ERROR frame", async () => {
      await using session = await open({ handshake: false });
      const reply = await session.handshake({ ...GUEST, passcode: "wrong" });
      assertEquals(reply.command, "ERROR");
      // RabbitMQ: message "Bad CONNECT", body "Access refused for user 'guest'".
      assertEquals(reply.headers.get("message"), "Bad CONNECT");
      assertMatch(reply.text, /access refused/i);
    });

    test("answers a bad destination with an ERROR frame and stays open", async () => {
      await using session = await open();
      await session.send(send("/nowhere/x", "lost"));
      const error = await session.expect("ERROR");
      assertMatch(error.headers.get("message") ?? "", /destination/i);
      await session.send(
        subscribe("0", uniqueQueue("after-error"), { receipt: "still" }),
      );
      assertEquals(
        (await session.expect("RECEIPT")).headers.get("receipt-id"),
        "still",
      );
    });
  } else {
    test("answers a frame without destination with an ERROR frame", async () => {
      // ActiveMQ takes any login and any destination name; a SEND with no
      // destination at all is what it refuses.
      await using session = await open();
      await session.send(new StompFrame("SEND", {}, "where to?"));
      const error = await session.expect("ERROR");
      assert(error.headers.has("message"), "the ERROR has no message header");
    });
  }

  test("ends the stream with a clear error when the connection drops mid-frame", async () => {
    const upstream = new URL(target.url);
    await using relay = ChaosRelay.start({
      hostname: upstream.hostname,
      port: Number(upstream.port),
    });
    const relayed = new URL(target.url);
    relayed.port = String(relay.port);
    await using session = await open({ url: relayed.href });
    const queue = uniqueQueue("cut");
    await subscribed(session, "0", queue);
    // Let 100 more bytes through to us, then drop both connections.
    relay.cutAfter(100);
    const body = target.textFrames
      ? utf8.encode("x".repeat(64 * 1024))
      : randomBytes(64 * 1024);
    await session.send(send(queue, body));
    const { error } = await session.end(5000);
    if (target.websocket) {
      // A WebSocket message never arrives in part: the socket fails instead.
      assertInstanceOf(error, WebSocketClosedError);
      assertEquals(error.wasClean, false);
      assertMatch(
        error.message,
        /^Connection lost: WebSocket closed with code/,
      );
    } else if (upstream.protocol === "tcp:") {
      assertInstanceOf(error, StompSyntaxError);
      assertMatch(error.message, /^Input ended inside a frame/);
    } else {
      // Under TLS the cut shows first as a TLS record cut short.
      assertInstanceOf(error, Deno.errors.UnexpectedEof);
      assertMatch(error.message, /close_notify/);
    }
  });

  if (!target.websocket) {
    if (target.broker === "rabbitmq") {
      test("closes the connection on a malformed frame, and the stream ends", async () => {
        await using session = await open();
        await session.send(utf8.encode("SEND\nno colon here\n\nbody\0"));
        // No ERROR frame: RabbitMQ just closes, between frames, so the
        // stream ends normally.
        assertEquals(await session.end(5000), {});
      });
    } else {
      test("skips a malformed header line, answers with an ERROR, and stays open", async () => {
        await using session = await open();
        await session.send(utf8.encode("SEND\nno colon here\n\nbody\0"));
        const error = await session.expect("ERROR");
        assertEquals(
          error.headers.get("message"),
          "SEND received without a Destination specified!",
        );
        await session.send(
          subscribe("0", uniqueQueue("after-error"), { receipt: "still" }),
        );
        assertEquals(
          (await session.expect("RECEIPT")).headers.get("receipt-id"),
          "still",
        );
      });
    }
  }
}
