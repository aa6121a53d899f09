// The test broker as clients of other libraries and versions meet it, over
// real sockets: a header one version can carry and another cannot (LF under
// 1.0, a value ending in CR under 1.1) reaches every subscriber, written as
// RabbitMQ writes it (1.2's escaped form), and never costs the publisher its
// connection; a frame in another version's form, or past a limit, gets an
// ERROR that says what was wrong and what to do.

import { assertEquals } from "@std/assert";
import { StompDecoder } from "../src/decoder.ts";
import type { StompFrame, StompVersion } from "../src/frame.ts";
import { StompTestBroker } from "../src/testing/broker.ts";

/** A raw connection: writes bytes as given, decodes what comes back. */
class RawClient implements AsyncDisposable {
  readonly frames: StompFrame[] = [];
  readonly #conn: Deno.TcpConn;
  readonly #done: Promise<void>;

  private constructor(conn: Deno.TcpConn, version: StompVersion) {
    this.#conn = conn;
    const decoder = new StompDecoder({ version });
    this.#done = (async () => {
      try {
        for await (const chunk of conn.readable) {
          decoder.decode(chunk, (frame) => this.frames.push(frame));
        }
      } catch { /* closed by the test */ }
    })();
  }

  static async connect(
    broker: StompTestBroker,
    version: StompVersion,
  ): Promise<RawClient> {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: broker.port,
    });
    const client = new RawClient(conn, version);
    const accept = version === "1.0" ? "" : `accept-version:${version}\n`;
    await client.write(`CONNECT\n${accept}host:/\n\n\0`);
    await client.until((f) => f.command === "CONNECTED");
    return client;
  }

  async write(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  /** Waits (2 s at most) for a frame matching `test`. */
  async until(test: (frame: StompFrame) => boolean): Promise<StompFrame> {
    for (let i = 0; i < 200; i++) {
      const found = this.frames.find(test);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(
      `No such frame; got ${this.frames.map((f) => f.command).join(", ")}`,
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#done;
  }
}

for (const kind of ["topic", "queue"] as const) {
  Deno.test(`StompTestBroker delivers a ${kind} message with headers that STOMP 1.0 and 1.1 cannot escape to subscribers of every version, as RabbitMQ writes them`, async () => {
    await using broker = StompTestBroker.listen();
    const destination = `/${kind}/mixed`;
    const subscribers: [StompVersion, RawClient][] = [];
    for (const version of ["1.0", "1.1", "1.2"] as const) {
      const client = await RawClient.connect(broker, version);
      subscribers.push([version, client]);
      await client.write(
        `SUBSCRIBE\ndestination:${destination}\nid:s-${version}\nreceipt:r\n\n\0`,
      );
      await client.until((f) => f.command === "RECEIPT");
    }
    await using publisher = await RawClient.connect(broker, "1.2");
    // Three copies for a queue (one per subscriber), one for a topic.
    const copies = kind === "queue" ? 3 : 1;
    for (let i = 0; i < copies; i++) {
      await publisher.write(
        "SEND\ndestination:" + destination +
          "\nreceipt:sent-" + i +
          "\nx-lf:a\\nb\nx\\cname:v\nx-cr-end:c\\r\nx-plain:d:e\n\nbody\0",
      );
    }
    await publisher.until((f) =>
      f.headers.get("receipt-id") === `sent-${copies - 1}`
    );
    assertEquals(publisher.frames.map((f) => f.command), [
      "CONNECTED",
      ...Array(copies).fill("RECEIPT"),
    ]);
    const seen: Record<string, unknown> = {};
    for (const [version, client] of subscribers) {
      const message = await client.until((f) => f.command === "MESSAGE");
      seen[version] = [
        message.headers.get("x-lf"),
        message.headers.get("x:name") ?? message.headers.get("x\\cname"),
        message.headers.get("x-cr-end"),
        message.headers.get("x-plain"),
        message.text,
      ];
    }
    assertEquals(seen, {
      // 1.0 has no escapes: what it cannot carry comes in 1.2's escaped form.
      "1.0": ["a\\nb", "v", "c\\r", "d:e", "body"],
      // 1.1 cannot escape a CR at the end of a value: \r, read back as CR.
      "1.1": ["a\nb", "v", "c\r", "d:e", "body"],
      "1.2": ["a\nb", "v", "c\r", "d:e", "body"],
    });
    for (const [, client] of subscribers) await client[Symbol.asyncDispose]();
  });
}

Deno.test("StompTestBroker refuses an ACK in another version's form with an ERROR naming the header its version needs", async () => {
  await using broker = StompTestBroker.listen();
  const cases = [
    [
      "1.2",
      "message-id:m-1\nsubscription:s",
      "Missing id header",
      "ACK needs an id header under STOMP 1.2 (the MESSAGE's ack header); message-id is the form of STOMP 1.0 and 1.1",
    ],
    [
      "1.1",
      "id:x",
      "Missing message-id header",
      "ACK needs a message-id header under STOMP 1.1; id is the form of STOMP 1.2",
    ],
  ] as const;
  for (const [version, ackHeaders, message, body] of cases) {
    await using client = await RawClient.connect(broker, version);
    await client.write(`ACK\n${ackHeaders}\n\n\0`);
    const error = await client.until((f) => f.command === "ERROR");
    assertEquals([error.headers.get("message"), error.text], [message, body]);
  }
});

Deno.test("StompTestBroker refuses a NACK under STOMP 1.0 with an ERROR that says why and what to do", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawClient.connect(broker, "1.0");
  await client.write("NACK\nmessage-id:m-1\n\n\0");
  const error = await client.until((f) => f.command === "ERROR");
  assertEquals([error.headers.get("message"), error.text], [
    "NACK is not part of STOMP 1.0",
    "This connection speaks STOMP 1.0, which has no NACK (1.1 added it): ACK the message instead, or connect with accept-version 1.1 or 1.2",
  ]);
});

Deno.test("StompTestBroker answers a frame past its decoder's limits with ERROR Frame too large, naming the limit", async () => {
  await using broker = StompTestBroker.listen();
  await using client = await RawClient.connect(broker, "1.2");
  await client.write(
    `SEND\ndestination:/queue/a\nx:${"a".repeat(70_000)}\n\n\0`,
  );
  const error = await client.until((f) => f.command === "ERROR");
  assertEquals(error.headers.get("message"), "Frame too large");
  assertEquals(
    error.text.replace(/\d+$/, "N"),
    "Header line exceeds the limit of 65536 bytes at byte N",
  );
});

Deno.test("StompTestBroker reads a STOMP 1.0 CONNECT's login and passcode without the spaces after the colon, as RabbitMQ does", async () => {
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
  await conn.write(
    new TextEncoder().encode("CONNECT\nlogin: guest\npasscode:\tguest\n\n\0"),
  );
  const reader = conn.readable.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  assertEquals(new TextDecoder().decode(value).split("\n")[0], "CONNECTED");
});
