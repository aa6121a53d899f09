// One scenario for the runtimes other than Deno (Bun, workerd): the codec on
// its own, then a client session with RabbitMQ. The library comes in as a
// parameter, so the same code runs against the sources in Deno and against a
// bundle elsewhere; it uses Web APIs only, and reports JSON for the test to
// compare.

import type * as Stomp from "../../mod.ts";

/** The library's public module, as the runtime under test loaded it. */
export type Library = typeof Stomp;

/** What the codec round trip saw, frame by frame. */
export interface CodecReport {
  /** `command`, headers in wire order, body as hex: for every way of decoding. */
  frames: string[];
  /** Heart-beats seen by the stream decoder. */
  heartbeats: number;
  /**
   * Whether both encoders gave the same bytes, and decoding whole, byte by
   * byte and through the stream in chunks gave the same frames.
   */
  agree: boolean;
}

/** What a client session saw. */
export interface ClientReport {
  connected: string;
  heartBeat: { send: number; receive: number };
  /** Whether bytes arrived while no frame did: the broker's heart-beats. */
  heartBeatsReceived: boolean;
  received: string[];
  /** The 1 MiB body came back byte for byte. */
  largeBody: { length: number; intact: boolean };
  /** Whether the transport gathers frames into one write (when known). */
  coalesce: boolean | "unknown";
  state: string;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A frame as one comparable line. */
function describe(frame: Stomp.StompFrame): string {
  return `${frame.command} ${JSON.stringify([...frame.headers])} ${
    hex(frame.body)
  }`;
}

/**
 * Encodes frames with escaped headers, a binary body holding NULs and a
 * heart-beat, then decodes them whole, byte by byte and through the stream
 * classes in uneven chunks.
 */
export async function codecRoundTrip(lib: Library): Promise<CodecReport> {
  const frames = [
    lib.send("/queue/a", new Uint8Array([0, 1, 0, 255]), {
      headers: { "key:with\ncolon": "value\\with\rescapes" },
    }),
    new lib.StompFrame("MESSAGE", {
      destination: "/queue/a",
      "message-id": "1",
      subscription: "0",
    }, "héllo wörld"),
    lib.receipt("77"),
  ];
  const bytes: Uint8Array[] = [];
  for (const frame of frames) bytes.push(lib.encodeFrame(frame));
  bytes.push(lib.encodeFrame(lib.HEARTBEAT));
  const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of bytes) {
    all.set(b, offset);
    offset += b.length;
  }

  const whole = new lib.StompDecoder().push(all).map(describe);
  const oneByOne = new lib.StompDecoder();
  const byByte: string[] = [];
  for (let i = 0; i < all.length; i++) {
    byByte.push(...oneByOne.push(all.subarray(i, i + 1)).map(describe));
  }
  // The stream classes: the encoder's output must be the same bytes, and the
  // decoder gets them in uneven chunks.
  const encoded = new Uint8Array(
    await new Response(
      ReadableStream.from<Stomp.StompFrame | Stomp.Heartbeat>([
        ...frames,
        lib.HEARTBEAT,
      ]).pipeThrough(new lib.StompEncoderStream()),
    ).arrayBuffer(),
  );
  const sameBytes = hex(encoded) === hex(all);
  let heartbeats = 0;
  const chunks: Uint8Array[] = [];
  for (
    let i = 0, size = 1;
    i < encoded.length;
    i += size, size = size * 3 + 1
  ) {
    chunks.push(encoded.subarray(i, i + size));
  }
  const streamed = (await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(
      new lib.StompDecoderStream({ onHeartbeat: () => heartbeats++ }),
    ),
  )).map(describe);
  const agree = sameBytes && JSON.stringify(whole) === JSON.stringify(byByte) &&
    JSON.stringify(whole) === JSON.stringify(streamed);
  return { frames: whole, heartbeats, agree };
}

/** How {@linkcode clientScenario} reaches the broker. */
export interface ClientScenarioOptions {
  /** A URL for `StompClient.connectUrl`, or a function opening a transport. */
  open: string | (() => Promise<Stomp.StompTransport>);
  /** Options for `openTransport` (a CA for `tls:`). */
  transport?: Stomp.OpenTransportOptions;
  /** Named in the text message: which runtime sent it. */
  runtime: string;
}

const LARGE = 1024 * 1024;

/**
 * Connects with heart-beats, subscribes with client-individual acks, sends
 * with a receipt, acks each message with a receipt, commits one transaction
 * and aborts another, moves a 1 MiB body and disconnects.
 */
export async function clientScenario(
  lib: Library,
  options: ClientScenarioOptions,
): Promise<ClientReport> {
  const clientOptions = {
    login: "guest",
    passcode: "guest",
    heartBeat: [1000, 1000] as const,
    reconnect: false,
  };
  let coalesce: boolean | "unknown" = "unknown";
  const open = options.open;
  const client = typeof open === "string"
    ? await lib.StompClient.connectUrl(open, {
      ...clientOptions,
      ...(options.transport === undefined
        ? {}
        : { transport: options.transport }),
    })
    : await lib.StompClient.connect(async () => {
      const transport = await open();
      coalesce = transport.coalesce === true;
      return transport;
    }, clientOptions);
  try {
    const connected = `STOMP ${client.version} (${
      client.server?.replace(/\/[\d.]+$/, "/x")
    })`;
    const heartBeat = { ...client.heartBeat };

    const queue = `/queue/stomper-runtime-${
      Math.random().toString(36).slice(2, 10)
    }`;
    const inbox = await client.subscribe(queue, {
      ack: "client-individual",
      receipt: true,
    });

    // Idle: only the broker's heart-beats can arrive (RabbitMQ sends one
    // every half interval, here 500 ms; it negotiates whole seconds).
    const before = client.stats;
    await new Promise((resolve) => setTimeout(resolve, 800));
    const after = client.stats;
    const heartBeatsReceived = after.bytesIn > before.bytesIn &&
      after.framesIn === before.framesIn;

    await client.send(queue, `hello from ${options.runtime}`, {
      receipt: true,
    });
    const committed = await client.begin();
    await committed.send(queue, "committed");
    await committed.commit({ receipt: true });
    const aborted = await client.begin();
    await aborted.send(queue, "aborted");
    await aborted.abort({ receipt: true });
    const large = new Uint8Array(LARGE);
    for (let i = 0; i < large.length; i++) large[i] = (i * 7 + (i >> 10)) & 255;
    await client.send(queue, large, { receipt: true });

    const received: string[] = [];
    let largeBody = { length: 0, intact: false };
    for await (const message of inbox) {
      if (message.body.length === LARGE) {
        largeBody = {
          length: message.body.length,
          intact: message.body.every((b, i) => b === large[i]),
        };
        received.push("1 MiB body");
      } else {
        received.push(message.text);
      }
      await message.ack({ receipt: true });
      if (received.length === 3) break;
    }
    await client.disconnect();
    return {
      connected,
      heartBeat,
      heartBeatsReceived,
      received,
      largeBody,
      coalesce,
      state: client.state,
    };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** The report every runtime must give for {@linkcode clientScenario}. */
export function expectedClientReport(
  runtime: string,
  coalesce: boolean | "unknown",
): ClientReport {
  return {
    connected: "STOMP 1.2 (RabbitMQ/x)",
    heartBeat: { send: 1000, receive: 1000 },
    heartBeatsReceived: true,
    received: [`hello from ${runtime}`, "committed", "1 MiB body"],
    largeBody: { length: LARGE, intact: true },
    coalesce,
    state: "closed",
  };
}
