// WebSocket frame splitting (maxMessageBytes) against real loopback
// WebSocket servers on 127.0.0.1: Deno.serve ones that record every message,
// and one on a raw TCP listener that stops reading, for backpressure.

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { concat } from "@std/bytes";
import { randomBytes, within } from "./_helpers.ts";
import {
  connected,
  encodeFrame,
  HEARTBEAT,
  receipt,
  send,
  StompDecoder,
  StompDecoderStream,
  type StompFrame,
} from "@stomper/stomp";
import { StompClient } from "@stomper/stomp/client";
import {
  connectWebSocket,
  fromWebSocket,
  type WebSocketConnectOptions,
  type WebSocketMessageType,
} from "@stomper/stomp/transports";
import { messageSender } from "../src/transports/_messages.ts";

const utf8 = new TextEncoder();
const utf8Text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const KiB = 1024;
const SPRING_LIMIT = 64 * KiB;

/** Text of about `bytes` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters. */
function mixedText(bytes: number): string {
  const unit = "a\u00e9\u20ac\u{1f600}"; // 1 + 2 + 3 + 4 bytes
  return unit.repeat(Math.ceil(bytes / 10));
}

function byteLength(message: string | Uint8Array): number {
  return typeof message === "string"
    ? utf8.encode(message).length
    : message.length;
}

function bytesOf(message: string | Uint8Array): Uint8Array {
  return typeof message === "string" ? utf8.encode(message) : message;
}

/** Whether the promise is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number) {
  const pending = Symbol("pending");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    promise.then(() => undefined, () => undefined),
    new Promise((resolve) => timer = setTimeout(() => resolve(pending), ms)),
  ]);
  clearTimeout(timer);
  return result === pending;
}

interface RecordingServer extends AsyncDisposable {
  url: string;
  /** Every message received, in order: bytes for binary, strings for text. */
  messages: (string | Uint8Array)[];
  /** How many upgrade requests came. */
  upgrades(): number;
  /** Resolves once the server side of the last socket has closed. */
  closed(): Promise<void>;
  /** The frames the messages decode to, in order (STOMP servers only). */
  frames: StompFrame[];
}

/**
 * A WebSocket server that records each message. With `stomp`, it also
 * decodes them as one byte stream and answers like a broker: CONNECTED to
 * CONNECT, RECEIPT to any frame asking for one.
 */
function recordingServer(stomp = false): RecordingServer {
  const messages: (string | Uint8Array)[] = [];
  const frames: StompFrame[] = [];
  let upgrades = 0;
  let closed = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      upgrades++;
      closed = Promise.withResolvers<void>();
      const done = closed;
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "v12.stomp",
      });
      socket.binaryType = "arraybuffer";
      const decoder = new StompDecoder();
      socket.onmessage = (event) => {
        const message = typeof event.data === "string"
          ? event.data
          : new Uint8Array(event.data as ArrayBuffer);
        messages.push(message);
        if (!stomp) return;
        for (const frame of decoder.push(bytesOf(message))) {
          frames.push(frame);
          if (frame.command === "CONNECT" || frame.command === "STOMP") {
            socket.send(encodeFrame(
              connected({ version: "1.2", heartBeat: [0, 0] }),
            ));
          }
          const id = frame.headers.get("receipt");
          if (id !== undefined) socket.send(encodeFrame(receipt(id)));
        }
      };
      socket.onclose = () => done.resolve();
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    messages,
    frames,
    upgrades: () => upgrades,
    closed: () => closed.promise,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Sends `chunks` through the transport's writable and closes it. */
async function writeAll(
  url: string,
  chunks: Uint8Array[],
  options: WebSocketConnectOptions,
): Promise<void> {
  const transport = await connectWebSocket(url, options);
  const writer = transport.writable.getWriter();
  for (const chunk of chunks) await within(writer.write(chunk), 5000, "write");
  await within(writer.close(), 5000, "the socket closing");
}

/** Asserts the messages are the chunks, each cut into pieces of at most `max` bytes. */
function assertSplit(
  messages: (string | Uint8Array)[],
  chunks: Uint8Array[],
  max: number,
): void {
  for (const message of messages) {
    assertLessOrEqual(byteLength(message), max);
    assertGreater(byteLength(message), 0);
  }
  assertEquals(concat(messages.map(bytesOf)), concat(chunks));
}

const FRAME_200K = encodeFrame(send("/queue/split", randomBytes(200 * KiB)));

Deno.test("fromWebSocket with maxMessageBytes sends a 200 KiB frame as binary messages of at most 64 KiB", async () => {
  await using server = recordingServer();
  await writeAll(server.url, [FRAME_200K], { maxMessageBytes: SPRING_LIMIT });
  await within(server.closed(), 2000, "the server seeing the close");
  const count = Math.ceil(FRAME_200K.length / SPRING_LIMIT);
  assertEquals(count, 4);
  assertEquals(server.messages.length, count);
  assertSplit(server.messages, [FRAME_200K], SPRING_LIMIT);
  for (const message of server.messages.slice(0, -1)) {
    assertEquals(byteLength(message), SPRING_LIMIT);
  }
});

Deno.test("fromWebSocket with maxMessageBytes: StompDecoder and StompDecoderStream reassemble the split frame", async () => {
  await using server = recordingServer();
  await writeAll(server.url, [FRAME_200K, encodeFrame(HEARTBEAT)], {
    maxMessageBytes: SPRING_LIMIT,
  });
  await within(server.closed(), 2000, "the server seeing the close");
  const messages = server.messages.map(bytesOf);
  assertEquals(messages.length, 5);

  const decoder = new StompDecoder();
  const pushed = messages.map((message) => decoder.push(message));
  // Nothing until the last piece of the frame arrives.
  assertEquals(pushed.map((frames) => frames.length), [0, 0, 0, 1, 0]);
  const [frame] = pushed[3]!;
  assertEquals(frame?.command, "SEND");
  assertEquals(
    frame?.body,
    FRAME_200K.subarray(FRAME_200K.length - 1 - 200 * KiB, -1),
  );

  let heartbeats = 0;
  const streamed = await Array.fromAsync(
    ReadableStream.from(messages).pipeThrough(
      new StompDecoderStream({ onHeartbeat: () => heartbeats++ }),
    ),
  );
  assertEquals(streamed.length, 1);
  assertEquals(streamed[0]?.body, frame?.body);
  assertEquals(streamed[0]?.headers.get("destination"), "/queue/split");
  assertEquals(heartbeats, 1);
});

Deno.test("fromWebSocket without maxMessageBytes sends a 200 KiB frame as one message", async () => {
  await using server = recordingServer();
  await writeAll(server.url, [FRAME_200K], {});
  await within(server.closed(), 2000, "the server seeing the close");
  assertEquals(server.messages, [FRAME_200K]);
});

Deno.test("fromWebSocket with maxMessageBytes sends a frame of exactly that size, and a heart-beat, whole", async () => {
  await using server = recordingServer();
  const frame = encodeFrame(send("/queue/a", "x".repeat(100)));
  const heartbeat = encodeFrame(HEARTBEAT);
  await writeAll(server.url, [frame, heartbeat, frame], {
    maxMessageBytes: frame.length,
  });
  await within(server.closed(), 2000, "the server seeing the close");
  assertEquals(server.messages, [frame, heartbeat, frame]);

  // One byte more than the limit takes two messages, the second of one byte.
  await using second = recordingServer();
  await writeAll(second.url, [frame], { maxMessageBytes: frame.length - 1 });
  await within(second.closed(), 2000, "the server seeing the close");
  assertEquals(second.messages, [frame.subarray(0, -1), frame.subarray(-1)]);
});

Deno.test("fromWebSocket with maxMessageBytes splits a subarray by its view, not its whole buffer", async () => {
  await using server = recordingServer();
  const backing = concat([utf8.encode("xxxx"), FRAME_200K, utf8.encode("yy")]);
  const view = backing.subarray(4, backing.length - 2);
  await writeAll(server.url, [view], { maxMessageBytes: SPRING_LIMIT });
  await within(server.closed(), 2000, "the server seeing the close");
  assertSplit(server.messages, [FRAME_200K], SPRING_LIMIT);
});

/**
 * The text cut as the transport should: greedily, whole characters only,
 * pieces of at most `max` UTF-8 bytes (worked out by code point, not bytes).
 */
function textPieces(text: string, max: number): string[] {
  const pieces: string[] = [];
  let piece = "";
  let size = 0;
  for (const character of text) {
    const n = utf8.encode(character).length;
    if (size + n > max) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += character;
    size += n;
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}

Deno.test("fromWebSocket with maxMessageBytes in text mode never cuts a UTF-8 sequence", async () => {
  let short = 0;
  for (
    const [max, size] of [[4, 600], [5, 600], [6, 600], [7, 2000], [
      SPRING_LIMIT,
      200 * KiB,
    ]] as const
  ) {
    await using server = recordingServer();
    const frame = encodeFrame(send("/queue/text", mixedText(size)));
    await writeAll(server.url, [frame], {
      messageType: "text",
      maxMessageBytes: max,
    });
    await within(server.closed(), 2000, "the server seeing the close");
    const messages = server.messages;
    assert(messages.every((m) => typeof m === "string"), "text messages");
    assertSplit(messages, [frame], max);
    assertEquals(messages, textPieces(utf8Text.decode(frame), max));
    // Cuts that had to back off from a character (or the test proves little).
    short += messages.slice(0, -1).filter((m) => byteLength(m) < max).length;
  }
  assertGreater(short, 100);
});

Deno.test("fromWebSocket with maxMessageBytes in text mode keeps a byte order mark that starts a message", async () => {
  await using server = recordingServer();
  const frame = encodeFrame(send("/queue/bom", "\ufeffafter the mark"));
  const at = frame.indexOf(0xef);
  await writeAll(server.url, [frame], {
    messageType: "text",
    maxMessageBytes: at,
  });
  await within(server.closed(), 2000, "the server seeing the close");
  assert(
    (server.messages[1] as string).startsWith("\ufeff"),
    "the second message starts with the mark",
  );
  assertEquals(server.messages.join(""), utf8Text.decode(frame));
});

Deno.test("fromWebSocket with maxMessageBytes in text mode sends no part of a frame that is not UTF-8", async () => {
  await using server = recordingServer();
  const body = utf8.encode(mixedText(200 * KiB));
  body[body.length - 10] = 0xff;
  const transport = await connectWebSocket(server.url, {
    messageType: "text",
    maxMessageBytes: SPRING_LIMIT,
  });
  const writer = transport.writable.getWriter();
  await assertRejects(
    () => writer.write(encodeFrame(send("/queue/bad", body))),
    TypeError,
    "not valid UTF-8",
  );
  transport.close();
  await within(server.closed(), 2000, "the server seeing the close");
  assertEquals(server.messages, []);
});

Deno.test("fromWebSocket message sender splits each chunk and keeps their order", async () => {
  for (const messageType of ["binary", "text"] as WebSocketMessageType[]) {
    await using server = recordingServer();
    const transport = await connectWebSocket(server.url, {
      messageType,
      maxMessageBytes: SPRING_LIMIT,
    });
    const chunks = [
      encodeFrame(send("/queue/a", mixedText(150 * KiB))),
      encodeFrame(HEARTBEAT),
      encodeFrame(send("/queue/b", "small")),
      encodeFrame(send("/queue/c", mixedText(70 * KiB))),
    ];
    const sent = messageSender(transport)!(chunks);
    assert(sent !== false, "the open socket takes the chunks");
    await within(sent, 5000, "the sender");
    await within(transport.writable.close(), 5000, "the socket closing");
    await within(server.closed(), 2000, "the server seeing the close");
    assertSplit(server.messages, chunks, SPRING_LIMIT);
    // 3 + 1 + 1 + 2 messages: each chunk starts a message of its own.
    assertEquals(server.messages.length, 7);
    assertEquals(byteLength(server.messages[3]!), 1);
    assertEquals(bytesOf(server.messages[4]!), chunks[2]);
  }
});

Deno.test("fromWebSocket and connectWebSocket reject a bad maxMessageBytes", async () => {
  const socket = { readyState: 1 } as WebSocket;
  for (const value of [0, -1, 1.5, NaN, 2 ** 53]) {
    assertThrows(
      () => fromWebSocket(socket, { maxMessageBytes: value }),
      RangeError,
      `Cannot wrap WebSocket: maxMessageBytes must be a positive integer, got ${value}`,
    );
  }
  assertThrows(
    () => fromWebSocket(socket, { maxMessageBytes: "64" as unknown as number }),
    TypeError,
    'Cannot wrap WebSocket: maxMessageBytes must be a number, got string "64"',
  );
  for (const value of [1, 2, 3]) {
    assertThrows(
      () =>
        fromWebSocket(socket, { messageType: "text", maxMessageBytes: value }),
      RangeError,
      `maxMessageBytes must be at least 4 for text messages`,
    );
  }
  // Binary messages may be as small as a byte; Infinity is the default.
  // (With binaryType, as a standard WebSocket: binary is then the default.)
  const open = {
    readyState: 1,
    binaryType: "blob",
    addEventListener() {},
    removeEventListener() {},
    close() {},
  } as unknown as WebSocket;
  fromWebSocket(open, { maxMessageBytes: 1 });
  fromWebSocket(open, { maxMessageBytes: Infinity });

  // connectWebSocket refuses before it opens a socket.
  await using server = recordingServer();
  await assertRejects(
    () =>
      connectWebSocket(server.url, {
        messageType: "text",
        maxMessageBytes: 3,
      }),
    RangeError,
    "Cannot connect over WebSocket: maxMessageBytes must be at least 4 for text messages",
  );
  await assertRejects(
    () => connectWebSocket(server.url, { highWaterMark: -1 }),
    RangeError,
    "Cannot connect over WebSocket: highWaterMark",
  );
  assertEquals(server.upgrades(), 0);
});

/** The payload sizes of the data messages in a client's WebSocket bytes. */
function messageSizes(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizes: number[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = view.getUint16(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(view.getBigUint64(at + 2));
      header = 10;
    }
    if (bytes[at + 1]! & 0x80) header += 4; // the mask
    if (at + header + length > bytes.length) break;
    if (opcode <= 2) sizes.push(length); // continuation, text, binary
    at += header + length;
  }
  return sizes;
}

/**
 * A WebSocket server on a raw TCP listener that, after the handshake, reads
 * nothing until `drain()`: the client's bufferedAmount has to grow.
 */
function stallingServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let conn: Deno.Conn | undefined;
  let draining: Promise<number[]> | undefined;
  let disposed = false;
  const ready = (async () => {
    conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    let request = "";
    while (!request.includes("\r\n\r\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("The client left during the handshake");
      request += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const key = /sec-websocket-key: *(\S+)/i.exec(request)?.[1];
    const digest = await crypto.subtle.digest(
      "SHA-1",
      utf8.encode(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`),
    );
    const accept = btoa(String.fromCharCode(...new Uint8Array(digest)));
    await conn.write(utf8.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
        "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n",
    ));
  })();
  return {
    url: `ws://127.0.0.1:${listener.addr.port}/ws`,
    ready,
    /** Reads everything; resolves at EOF with the sizes of the messages. */
    drain(): Promise<number[]> {
      draining ??= (async () => {
        const chunks: Uint8Array[] = [];
        while (true) {
          const buffer = new Uint8Array(1 << 16);
          const n = await conn!.read(buffer).catch(() => null);
          if (n === null) return messageSizes(concat(chunks));
          chunks.push(buffer.subarray(0, n));
        }
      })();
      return draining;
    },
    async [Symbol.asyncDispose]() {
      if (disposed) return;
      disposed = true;
      listener.close();
      try {
        // A close frame, so the client's closing handshake completes.
        await conn?.write(new Uint8Array([0x88, 0x00]));
      } catch {
        // The client has gone already.
      }
      conn?.close();
      await draining;
    },
  };
}

for (const path of ["writable", "message sender"]) {
  Deno.test(`fromWebSocket with maxMessageBytes still waits for the high-water mark (${path})`, async () => {
    await using server = stallingServer();
    const highWaterMark = 256 * KiB;
    const transport = await connectWebSocket(server.url, {
      highWaterMark,
      maxMessageBytes: SPRING_LIMIT,
    });
    await server.ready;
    const writer = transport.writable.getWriter();
    const sender = messageSender(transport)!;
    const write = (chunk: Uint8Array) =>
      path === "writable"
        ? writer.write(chunk)
        : sender([chunk]) as Promise<void>;
    // The peer reads nothing: once the kernel buffers fill, a write waits.
    let stalled: Promise<void> | undefined;
    let written = 0;
    for (let i = 0; i < 1024 && stalled === undefined; i++) {
      const writing = write(FRAME_200K);
      if (await pendingAfter(writing, 100)) stalled = writing;
      else {
        written += FRAME_200K.length;
        assertLessOrEqual(transport.socket.bufferedAmount, highWaterMark);
      }
    }
    assert(stalled !== undefined, `no write waited after ${written} bytes`);
    assertGreater(transport.socket.bufferedAmount, highWaterMark);
    const drained = server.drain();
    await within(stalled, 5000, "the stalled write");
    assertLessOrEqual(transport.socket.bufferedAmount, highWaterMark);
    transport.close();
    await server[Symbol.asyncDispose]();
    // Every frame sent went out in pieces of at most 64 KiB.
    const sizes = await drained;
    const frames = written / FRAME_200K.length + 1;
    const pieces = [SPRING_LIMIT, SPRING_LIMIT, SPRING_LIMIT];
    pieces.push(FRAME_200K.length - 3 * SPRING_LIMIT);
    assertGreater(sizes.length, 4 * (frames - 1));
    for (const size of sizes) assertLessOrEqual(size, SPRING_LIMIT);
    assertEquals(
      sizes.slice(0, 4 * (frames - 1)),
      Array.from({ length: frames - 1 }, () => pieces).flat(),
    );
  });
}

for (const messageType of ["binary", "text"] as WebSocketMessageType[]) {
  for (const max of [SPRING_LIMIT, undefined]) {
    Deno.test(
      `StompClient over connectWebSocket (${messageType}) ${
        max === undefined ? "without" : "with"
      } maxMessageBytes sends a 200 KiB body ${
        max === undefined ? "in one message" : "in messages of at most 64 KiB"
      }`,
      async () => {
        await using server = recordingServer(true);
        const transport: WebSocketConnectOptions = { messageType };
        if (max !== undefined) transport.maxMessageBytes = max;
        // Through connectUrl's transport options, so openTransport passes it on.
        const client = await within(
          StompClient.connectUrl(server.url, { heartBeat: [0, 0], transport }),
          5000,
          "connecting",
        );
        const body = messageType === "text"
          ? mixedText(200 * KiB)
          : randomBytes(200 * KiB);
        await within(
          client.send("/queue/big", body, { receipt: true }),
          5000,
          "the receipt",
        );
        await within(client.disconnect(), 5000, "disconnecting");
        await within(server.closed(), 2000, "the server seeing the close");

        assertEquals(server.frames.map((f) => f.command), [
          "CONNECT",
          "SEND",
          "DISCONNECT",
        ]);
        const frame = server.frames[1]!;
        if (typeof body === "string") assertEquals(frame.text, body);
        else assertEquals(frame.body, body);
        const sizes = server.messages.map(byteLength);
        if (max === undefined) {
          assertEquals(sizes.length, 3);
          assertGreater(sizes[1]!, 200 * KiB);
        } else {
          // CONNECT, the SEND in 4 pieces, DISCONNECT.
          assertEquals(sizes.length, 6);
          for (const size of sizes) assertLessOrEqual(size, max);
          assertGreater(max, sizes[4]!);
        }
        if (messageType === "text") {
          assert(server.messages.every((m) => typeof m === "string"));
        } else {
          assert(server.messages.every((m) => m instanceof Uint8Array));
        }
      },
    );
  }
}
