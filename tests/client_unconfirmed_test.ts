// The bound on what is in flight over a transport that cannot say what it
// buffers (StompTransport.unpaced: a socket without bufferedAmount, as
// SockJS's): receipts the client asks itself, every half window, and a
// writer that waits while more than the window is unconfirmed, once the
// server has answered one. The socket here is a real WebSocket to the test
// broker on 127.0.0.1, seen without bufferedAmount (UnmeasuredSocket), which
// also measures, from the bytes it carries, what was written and what the
// server's RECEIPTs confirmed; tests/integration/sockjs_test.ts runs the
// real SockJS.

import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertLessOrEqual,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  encodeFrame,
  send as sendFrame,
  StompClient,
  type StompClientOptions,
  StompConnectionError,
  type StompFrame,
  StompServerError,
  StompTimeoutError,
} from "@stomper/stomp";
import { ManualTimers, StompTestBroker } from "@stomper/stomp/testing";
import { fromWebSocket, type WebSocketLike } from "@stomper/stomp/transports";
import { resolveOptions } from "../src/client/_options.ts";
import { withReceipt } from "../src/client/_encoding.ts";
import {
  FIRST_ANSWER_MS,
  UnconfirmedWindow,
} from "../src/client/_unconfirmed.ts";
import { BATCH_BYTES } from "../src/client/_outbox.ts";
import { RawPeer } from "./_peer.ts";
import { eventually, uniqueQueue, within } from "./_helpers.ts";

const utf8 = new TextDecoder();
const BODY = "x".repeat(4096);
// A SEND of BODY with its headers, rounded up.
const FRAME_BYTES = 4096 + 128;
// What one write of the client can add past the window: a round of the
// writer ends once it holds 64 KiB, and its last entry can be a batch of
// 64 KiB and one frame.
const ONE_WRITE = 2 * BATCH_BYTES + FRAME_BYTES;

/** The receipt a frame asks, from its header block. */
function receiptOf(bytes: Uint8Array): string | undefined {
  const head = utf8.decode(bytes.subarray(0, Math.min(bytes.length, 2048)));
  const end = head.indexOf("\n\n");
  const headers = end === -1 ? head : head.slice(0, end);
  return /\nreceipt:([^\n]*)/.exec(headers)?.[1];
}

/**
 * A real WebSocket without `bufferedAmount` (what SockJS's lacks), which
 * also measures: bytes sent, and for every RECEIPT received the bytes up to
 * the frame that asked it, confirmed. `stall()` drops every message from
 * then on, as a server that stops answering (the connection stays up).
 */
class UnmeasuredSocket implements WebSocketLike {
  readonly #socket: WebSocket;
  readonly #ends = new Map<string, number>();
  #stalled = false;
  /** Bytes sent, and up to where RECEIPTs confirmed them. */
  written = 0;
  confirmed = 0;
  /** The most bytes sent and not confirmed, as each message went. */
  peak = 0;
  /** The receipts frames sent asked, and those answered, in order. */
  readonly asked: string[] = [];
  readonly answered: string[] = [];
  /** Called after a frame asking a receipt was sent. */
  onAsked: ((id: string) => void) | undefined;

  constructor(url: string) {
    this.#socket = new WebSocket(url, ["v12.stomp"]);
    this.#socket.binaryType = "arraybuffer";
    // First, so that a RECEIPT counts before the client reads it.
    this.#socket.addEventListener("message", (event) => {
      if (this.#stalled) return;
      const data = event.data;
      const text = typeof data === "string" ? data : utf8.decode(data);
      for (const [, id] of text.matchAll(/RECEIPT\nreceipt-id:([^\n]*)\n/g)) {
        this.answered.push(id!);
        const end = this.#ends.get(id!);
        if (end !== undefined) this.confirmed = Math.max(this.confirmed, end);
      }
    });
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  get binaryType(): string {
    return this.#socket.binaryType;
  }

  set binaryType(type: BinaryType) {
    this.#socket.binaryType = type;
  }

  /** Bytes sent and not confirmed. */
  get unconfirmed(): number {
    return this.written - this.confirmed;
  }

  send(data: string | Uint8Array): void {
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    this.written += bytes.length;
    const id = receiptOf(bytes);
    if (id !== undefined) {
      this.asked.push(id);
      this.#ends.set(id, this.written);
    }
    this.peak = Math.max(this.peak, this.written - this.confirmed);
    this.#socket.send(data);
    if (id !== undefined) this.onAsked?.(id);
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** From now on, no message reaches the client. */
  stall(): void {
    this.#stalled = true;
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    this.#socket.addEventListener(type, this.#wrap(type, listener));
  }

  removeEventListener(type: string, listener: (event: Event) => void): void {
    this.#socket.removeEventListener(type, this.#wrap(type, listener));
  }

  readonly #wrapped = new Map<(event: Event) => void, (event: Event) => void>();

  #wrap(
    type: string,
    listener: (event: Event) => void,
  ): (event: Event) => void {
    if (type !== "message") return listener;
    let wrapped = this.#wrapped.get(listener);
    if (wrapped === undefined) {
      wrapped = (event) => {
        if (!this.#stalled) listener(event);
      };
      this.#wrapped.set(listener, wrapped);
    }
    return wrapped;
  }
}

/** The window's own receipts among those asked (the user's are `r-N`). */
function windowReceipts(ids: readonly string[]): string[] {
  return ids.filter((id) => id.startsWith("unconfirmed-"));
}

/** A test broker with its WebSocket, counting the SENDs it received. */
function broker(options: { receipts?: boolean } = {}) {
  const counts = { sends: 0, receiptHeaders: 0 };
  const frames: StompFrame[] = [];
  const listening = StompTestBroker.listen({
    webSocket: true,
    heartBeat: [0, 0],
    ...options,
    onFrame: (frame) => {
      if (frame.command !== "SEND") return;
      counts.sends++;
      if (frame.headers.has("receipt")) counts.receiptHeaders++;
      if (frames.length < 4) frames.push(frame);
    },
  });
  return { broker: listening, counts };
}

function quiet(errors: unknown[]): StompClientOptions {
  return { heartBeat: [0, 0], onError: (error) => errors.push(error) };
}

/**
 * A quiet client over an UnmeasuredSocket to `server`'s WebSocket endpoint,
 * with `options`; what it reports is kept in `errors`.
 */
async function unpacedClient(
  server: StompTestBroker,
  options: StompClientOptions,
): Promise<
  { socket: UnmeasuredSocket; errors: unknown[]; client: StompClient }
> {
  const socket = new UnmeasuredSocket(server.webSocketUrl!);
  const errors: unknown[] = [];
  const client = await StompClient.connect(fromWebSocket(socket), {
    ...quiet(errors),
    ...options,
  });
  return { socket, errors, client };
}

Deno.test("StompClient keeps at most unconfirmedBytes and one write unconfirmed over a socket without bufferedAmount (a real WebSocket seen without it)", async () => {
  const window = 256 * 1024;
  const count = 1000; // 4 MiB
  const { broker: server, counts } = broker();
  await using _ = server;
  const unpaced = await unpacedClient(server, {
    unconfirmedBytes: window,
  });
  const { socket, errors } = unpaced;
  await using client = unpaced.client;
  const queue = uniqueQueue("unconfirmed");
  await within(
    (async () => {
      for (let i = 0; i < count; i++) await client.send(queue, BODY);
      await client.send(queue, "last", { receipt: true });
    })(),
    20_000,
    "the burst",
  );
  console.log(
    `peak unconfirmed ${socket.peak} bytes, ${
      windowReceipts(socket.asked).length
    } receipts asked by the window`,
  );
  assertEquals(counts.sends, count + 1);
  assertLessOrEqual(socket.peak, window + ONE_WRITE);
  // One every half window, about, each answered before the next.
  const asked = windowReceipts(socket.asked);
  assertGreaterOrEqual(asked.length, (count * FRAME_BYTES) / window);
  assertEquals(windowReceipts(socket.answered), asked);
  assertEquals(errors, []);
});

Deno.test("StompClient waits for a server that answers no receipt FIRST_ANSWER_MS once, then never: one receipt asked, every send resolves (test broker with receipts: false)", async () => {
  const window = 64 * 1024;
  const count = 500; // 2 MiB, 32 windows
  const { broker: server, counts } = broker({ receipts: false });
  await using _ = server;
  const { socket, errors, client } = await unpacedClient(server, {
    unconfirmedBytes: window,
  });
  const queue = uniqueQueue("unanswered");
  const start = performance.now();
  await within(
    (async () => {
      for (let i = 0; i < count; i++) await client.send(queue, BODY);
    })(),
    10_000,
    "the burst",
  );
  await eventually(() => counts.sends === count, 10_000, "every SEND");
  const ms = performance.now() - start;
  console.log(`${count} sends written in ${Math.round(ms)} ms`);
  // Over the window before any answer: held for the first one, once.
  assertGreaterOrEqual(ms, FIRST_ANSWER_MS - 50);
  assertLessOrEqual(ms, FIRST_ANSWER_MS + 3000);
  // Asked once, never again while unanswered; nothing held after.
  assertEquals(socket.asked, ["unconfirmed-1"]);
  assertEquals(counts.receiptHeaders, 1);
  assertEquals(client.bufferedAmount, 0);
  // The DISCONNECT's receipt is answered, as Spring's simple broker does.
  await within(client.disconnect(), 5000, "disconnect");
  assertEquals(errors, []);
});

Deno.test("StompClient asks no receipt over transports that wait for the network themselves (WebSocket, TCP) nor with unconfirmedBytes: Infinity", async (t) => {
  const count = 64; // 256 KiB, 16 windows of 16 KiB
  const window = { unconfirmedBytes: 16 * 1024 };
  const cases: [string, (server: StompTestBroker) => Promise<StompClient>][] = [
    ["a WebSocket", (server) =>
      StompClient.connect(
        fromWebSocket(new WebSocket(server.webSocketUrl!, ["v12.stomp"])),
        window,
      )],
    ["TCP", (server) => StompClient.connectUrl(server.url, window)],
    ["a socket without bufferedAmount, unconfirmedBytes: Infinity", (
      server,
    ) =>
      StompClient.connect(
        fromWebSocket(new UnmeasuredSocket(server.webSocketUrl!)),
        { unconfirmedBytes: Infinity },
      )],
  ];
  for (const [name, connect] of cases) {
    await t.step(name, async () => {
      const { broker: server, counts } = broker();
      await using _ = server;
      const client = await connect(server);
      const queue = uniqueQueue("paced");
      for (let i = 0; i < count; i++) await client.send(queue, BODY);
      await client.send(queue, "last", { receipt: true });
      await client.disconnect();
      assertEquals(counts.sends, count + 1);
      // The user's receipt only.
      assertEquals(counts.receiptHeaders, 1);
    });
  }
});

Deno.test("StompClient handles an ERROR naming its own receipt as one that matches no operation: reported, the connection ends", async () => {
  const { broker: server } = broker();
  await using _ = server;
  const { socket, errors, client } = await unpacedClient(server, {
    unconfirmedBytes: 8 * 1024,
  });
  // Past half the window, then a SEND the broker refuses: it carries the
  // window's receipt, which the ERROR names.
  const first = client.send(uniqueQueue("before"), BODY + "x".repeat(1024));
  const refused = client.send("/nowhere/at-all", "refused");
  await first;
  await refused;
  await within(client.closed.catch(() => {}), 5000, "the client closing");
  assertEquals(socket.asked, ["unconfirmed-1"]);
  assertEquals(errors.length, 1);
  const error = errors[0];
  assertInstanceOf(error, StompServerError);
  assertEquals(error.frame.headers.get("receipt-id"), "unconfirmed-1");
  assertEquals(client.state, "closed");
  const closeError = await assertRejects(() => client.closed);
  assertInstanceOf(closeError, StompConnectionError);
  assert(closeError.cause === error);
});

Deno.test("StompClient starts the window afresh on a new connection: a receipt outstanding when the connection was lost is dropped silently", async () => {
  const window = 64 * 1024;
  // The first connection's broker answers receipts, the second's does not:
  // a window carried over (answered) would hold for ever on the second.
  const { broker: answering, counts: first } = broker();
  await using _a = answering;
  const { broker: silent, counts: second } = broker({ receipts: false });
  await using _s = silent;
  const sockets: UnmeasuredSocket[] = [];
  const errors: unknown[] = [];
  const client = await StompClient.connect(() => {
    const socket = new UnmeasuredSocket(
      (sockets.length === 0 ? answering : silent).webSocketUrl!,
    );
    sockets.push(socket);
    return fromWebSocket(socket);
  }, {
    ...quiet(errors),
    unconfirmedBytes: window,
    reconnect: { initialDelay: 10, maxDelay: 10 },
  });
  try {
    const queue = uniqueQueue("afresh");
    const one = sockets[0]!;
    // Lost right after the window's third receipt was asked, before its
    // answer could be read.
    one.onAsked = (id) => {
      if (id !== "unconfirmed-3") return;
      // Its answer is not read: the connection is lost first.
      one.stall();
      one.close(4000, "Lost by the test");
    };
    await within(
      (async () => {
        for (let i = 0; i < 200; i++) await client.send(queue, BODY);
      })(),
      10_000,
      "the sends",
    );
    await eventually(() =>
      client.state === "connected" && sockets.length === 2
    );
    assertEquals(windowReceipts(one.answered), [
      "unconfirmed-1",
      "unconfirmed-2",
    ]);
    assertEquals(windowReceipts(one.asked).at(-1), "unconfirmed-3");
    const two = sockets[1]!;
    const before = second.sends;
    await within(
      (async () => {
        for (let i = 0; i < 200; i++) await client.send(queue, BODY);
      })(),
      10_000,
      "the sends on the second connection",
    );
    await eventually(() => second.sends >= before + 200, 10_000, "SENDs");
    // Asked afresh (from 1), once, and never waited for.
    assertEquals(two.asked, ["unconfirmed-1"]);
    assertEquals(client.bufferedAmount, 0);
    assertGreater(first.sends, 0);
    // The lost connection alone was reported, as any loss is.
    assertEquals(errors.length, 1);
    assertInstanceOf(errors[0], StompConnectionError);
    assert(!(errors[0] as Error).message.includes("receipt"));
  } finally {
    await client.disconnect();
  }
});

Deno.test("StompClient.disconnect() ends within disconnectTimeout while the writer waits for a receipt that does not come (a socket that stops delivering)", async () => {
  const window = 64 * 1024;
  const { broker: server } = broker();
  await using _ = server;
  const { socket, errors, client } = await unpacedClient(server, {
    unconfirmedBytes: window,
    disconnectTimeout: 300,
  });
  const queue = uniqueQueue("held");
  // Answers stop once the server has answered one window receipt.
  await within(
    (async () => {
      while (windowReceipts(socket.answered).length === 0) {
        await client.send(queue, BODY);
      }
    })(),
    5000,
    "a window receipt answered",
  );
  socket.stall();
  // Issued without waiting: the writer holds what is over the window.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) sends.push(client.send(queue, BODY));
  await eventually(() => socket.unconfirmed > window, 5000, "a full window");
  const written = socket.written;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(socket.written, written, "the writer goes on");
  assertLessOrEqual(socket.unconfirmed, window + ONE_WRITE);
  assertGreater(client.bufferedAmount, 0);
  const start = performance.now();
  const failure = await within(client.disconnect(), 3000, "disconnect").then(
    () => undefined,
    (error: unknown) => error,
  );
  const ms = performance.now() - start;
  assertInstanceOf(failure, StompTimeoutError);
  assertEquals(failure.timeout, 300);
  assertLessOrEqual(ms, 2000);
  assertEquals(client.state, "closed");
  // Past sendBufferSize, sends waited to be written: they fail with the
  // client; every one settles.
  const settled = await within(Promise.allSettled(sends), 1000, "the sends");
  const failed = settled.filter((s) => s.status === "rejected");
  assertGreater(failed.length, 0);
  for (const { reason } of failed) {
    assertInstanceOf(reason, StompConnectionError);
  }
  // The timeout alone is reported, as for any socket that does not drain.
  assertEquals(errors, [failure]);
});

Deno.test("fromWebSocket marks a socket without bufferedAmount unpaced, and no other", async () => {
  await using server = StompTestBroker.listen({ webSocket: true });
  const measured = new WebSocket(server.webSocketUrl!, ["v12.stomp"]);
  const unmeasured = new UnmeasuredSocket(server.webSocketUrl!);
  const paced = fromWebSocket(measured);
  const unpaced = fromWebSocket(unmeasured);
  assertEquals(paced.unpaced, undefined);
  assertEquals(unpaced.unpaced, true);
  await Promise.all([paced.writable.close(), unpaced.writable.close()]);
});

Deno.test("StompClient option unconfirmedBytes defaults to 1 MiB, takes a positive integer or Infinity, and refuses anything else", () => {
  const transport = new TransformStream<Uint8Array, Uint8Array>();
  const source = {
    readable: transport.readable,
    writable: transport.writable,
    close() {},
  };
  assertEquals(resolveOptions(source, {}).unconfirmedBytes, 1048576);
  assertEquals(
    resolveOptions(source, { unconfirmedBytes: 1 }).unconfirmedBytes,
    1,
  );
  assertEquals(
    resolveOptions(source, { unconfirmedBytes: Infinity }).unconfirmedBytes,
    Infinity,
  );
  for (const bad of [0, -1, 1.5, NaN, -Infinity, "1024" as unknown as number]) {
    assertThrows(
      () => resolveOptions(source, { unconfirmedBytes: bad }),
      RangeError,
      `Cannot create client: unconfirmedBytes must be a positive integer or Infinity, got ${bad}`,
    );
  }
});

Deno.test("withReceipt adds a receipt header to a SEND that asks none, and leaves other frames alone", () => {
  const encode = (frame: StompFrame) => encodeFrame(frame, { version: "1.2" });
  const plain = encode(sendFrame("/queue/a", "receipt:in the body"));
  const asking = withReceipt(plain, "unconfirmed-7");
  assertEquals(
    utf8.decode(asking!),
    utf8.decode(plain).replace("SEND\n", "SEND\nreceipt:unconfirmed-7\n"),
  );
  const own = encode(sendFrame("/queue/a", "x", { receipt: "r-1" }));
  assertEquals(withReceipt(own, "unconfirmed-7"), undefined);
  const ack = new TextEncoder().encode("ACK\nid:1\n\n\0");
  assertEquals(withReceipt(ack, "unconfirmed-7"), undefined);
  const crlf = new TextEncoder().encode(
    "SEND\r\ndestination:/queue/a\r\nreceipt:r-2\r\n\r\nx\0",
  );
  assertEquals(withReceipt(crlf, "unconfirmed-7"), undefined);
});

Deno.test("UnconfirmedWindow asks one receipt every half window and holds over the window: for the first answer FIRST_ANSWER_MS at most, then only once one came", async () => {
  const frame = encodeFrame(sendFrame("/queue/a", "x".repeat(90)), {
    version: "1.2",
  });
  const timers = new ManualTimers();
  const window = new UnconfirmedWindow(frame.length * 4, timers);
  const chunks = () => Array.from({ length: 3 }, () => frame);
  // Half the window is two frames: the third asks.
  const first = chunks();
  window.count(first);
  assertEquals(receiptOf(first[2]!), "unconfirmed-1");
  assertEquals(window.holding, false);
  window.count(chunks());
  // Over the window, the first answer not come: held, for a while.
  assertEquals(window.holding, true);
  const waiting = window.wait();
  await timers.advance(FIRST_ANSWER_MS);
  await within(waiting, 1000, "the first answer's time");
  assertEquals(window.holding, false);
  // Unanswered: never asked again, never held.
  for (let i = 0; i < 10; i++) {
    const more = chunks();
    window.count(more);
    assertEquals(more.map(receiptOf), [undefined, undefined, undefined]);
  }
  assertEquals(window.holding, false);
  assertEquals(timers.pending, 0);
  // An answer, however late, confirms and makes the window hold again.
  assertEquals(window.receipt("r-1"), false);
  assertEquals(window.receipt("unconfirmed-1"), true);
  const next = chunks();
  window.count(next);
  assertEquals(receiptOf(next[0]!), "unconfirmed-2");
  window.count(chunks());
  assertEquals(window.holding, true);
  const released = window.wait();
  assertEquals(window.receipt("unconfirmed-2"), true);
  await within(released, 1000, "the answer");
  assertEquals(window.holding, false);
  // The end releases a waiting writer, and nothing holds after it.
  window.count(chunks());
  window.count(chunks());
  window.count(chunks());
  assertEquals(window.holding, true);
  const ending = window.wait();
  window.end();
  await within(ending, 1000, "the end");
  assertEquals(window.holding, false);
  assertEquals(timers.pending, 0);
});

Deno.test("StompTestBroker with receipts: false answers DISCONNECT's receipt only", async () => {
  await using server = StompTestBroker.listen({ receipts: false });
  await using peer = await RawPeer.connected(server);
  await peer.send(sendFrame("/queue/a", "hi", { receipt: "r-1" }));
  assertEquals(await peer.quiet(100), true);
  await peer.send(new TextEncoder().encode("DISCONNECT\nreceipt:bye\n\n\0"));
  const receipt = await peer.expect("RECEIPT");
  assertEquals(receipt.headers.get("receipt-id"), "bye");
});
