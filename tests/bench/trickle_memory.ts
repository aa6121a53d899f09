// What a body costs the receiver in memory when it arrives in tiny pieces,
// and what a declared content-length makes the decoder allocate before its
// bytes come. Prints one JSON line per measurement; the figures are heap
// (V8 heap used plus external memory, which holds ArrayBuffer contents)
// and RSS, each after a full GC, as a difference from a baseline.
//
//   deno run --v8-flags=--expose-gc -A tests/bench/trickle_memory.ts <case> [--bytes=N]
//
// Cases:
//   stream     a MESSAGE body without content-length fed to StompDecoderStream
//              one byte per chunk (each chunk its own buffer, as a socket
//              read of one byte gives it); also with --bodyChunks
//   client     the same body written by a server on 127.0.0.1 one byte per
//              write, received by StompClient over TCP (the server runs as a
//              subprocess, so only the client's memory is counted)
//   head       a header block of --bytes (at most 256 KiB by default limits)
//              fed to StompDecoderStream one byte per chunk
//   upfront    a frame declaring content-length:67108864 followed by 3 bytes:
//              what the decoder holds after them
//   all        stream, stream --bodyChunks, client and upfront (not head)
//
// Used by tests/integration/trickle_memory_test.ts, which asserts bounds.

import { StompDecoder } from "../../src/decoder.ts";
import { StompDecoderStream } from "../../src/decoder_stream.ts";
import { StompClient } from "../../src/client/mod.ts";
import { connectTcp } from "../../src/transports/mod.ts";
import { flag } from "./_args.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined && Deno.args[0] !== "server") {
  throw new Error(
    "Cannot measure: run with --v8-flags=--expose-gc to allow a full GC",
  );
}

interface Sample {
  heap: number;
  rss: number;
}

function sample(): Sample {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}

const MiB = 1024 * 1024;
const round = (n: number) => Math.round(n * 100) / 100;
const encoder = new TextEncoder();
const HEAD = encoder.encode(
  "MESSAGE\ndestination:/queue/trickle\nsubscription:0\nmessage-id:1\n\n",
);

/** The body byte at index `i` (never NUL). */
const bodyByte = (i: number) => 0x41 + (i % 26);

async function stream(bytes: number, bodyChunks: boolean) {
  const decoder = new StompDecoderStream(bodyChunks ? { bodyChunks } : {});
  const writer = decoder.writable.getWriter();
  const reader = decoder.readable.getReader();
  // A pending read lifts the readable's backpressure, so each write is
  // decoded at once.
  const next = reader.read();
  await writer.write(HEAD.slice());
  const before = sample();
  for (let i = 0; i < bytes; i++) {
    await writer.write(new Uint8Array([bodyByte(i)]));
  }
  const during = sample();
  await writer.write(new Uint8Array([0]));
  const { value: frame } = await next;
  if (frame?.bodyLength !== bytes) {
    throw new Error(`Cannot measure: got a body of ${frame?.bodyLength} bytes`);
  }
  const after = sample();
  const result = report(
    bodyChunks ? "stream, bodyChunks" : "stream",
    bytes,
    before,
    during,
    after,
  );
  frame.body; // kept alive until measured
  return result;
}

/** A header block of about `bytes` bytes fed one byte per chunk. */
async function head(bytes: number) {
  const decoder = new StompDecoderStream({ maxHeaderLineBytes: bytes + 16 });
  const writer = decoder.writable.getWriter();
  const next = decoder.readable.getReader().read();
  const block = encoder.encode(`SEND\nx:${"v".repeat(bytes)}\n\n`);
  const before = sample();
  for (let i = 0; i < block.length - 1; i++) {
    await writer.write(block.slice(i, i + 1));
  }
  const during = sample();
  await writer.write(encoder.encode("\n\0"));
  const { value: frame } = await next;
  if (frame?.headers.get("x")?.length !== bytes) {
    throw new Error("Cannot measure: the header did not come whole");
  }
  const after = sample();
  return report("header block", block.length, before, during, after);
}

function report(
  name: string,
  bytes: number,
  before: Sample,
  during: Sample,
  after: Sample,
) {
  return {
    case: name,
    bodyBytes: bytes,
    heapPerByte: round((during.heap - before.heap) / bytes),
    rssPerByte: round((during.rss - before.rss) / bytes),
    heapMiB: round((during.heap - before.heap) / MiB),
    rssMiB: round((during.rss - before.rss) / MiB),
    keptPerByte: round((after.heap - before.heap) / bytes),
  };
}

/** The server side of `client`: a subprocess, one connection. */
async function server(bytes: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(listener.addr.port);
  const conn = await listener.accept();
  listener.close();
  await conn.setNoDelay(true);
  const decoder = new StompDecoder();
  const buffer = new Uint8Array(4096);
  const next = async (command: string) => {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error(`Cannot serve: no ${command}`);
      const frames = decoder.push(buffer.slice(0, n));
      const found = frames.find((frame) => frame.command === command);
      if (found !== undefined) return found;
    }
  };
  await next("CONNECT");
  await conn.write(
    encoder.encode("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0"),
  );
  const subscribe = await next("SUBSCRIBE");
  const id = subscribe.headers.get("id")!;
  await conn.write(encoder.encode(
    `MESSAGE\ndestination:/queue/trickle\nsubscription:${id}\nmessage-id:1\n\n`,
  ));
  const one = new Uint8Array(1);
  for (let i = 0; i < bytes; i++) {
    one[0] = bodyByte(i);
    await conn.write(one);
    // Paced, so that the client's reads find a byte or two each.
    for (const until = performance.now() + pace; performance.now() < until;);
  }
  console.log("sent");
  // The NUL waits for a line on stdin: the client measures first.
  const line = new Uint8Array(16);
  await Deno.stdin.read(line);
  await conn.write(new Uint8Array([0]));
  await next("DISCONNECT").catch(() => {});
  conn.close();
}

async function client(bytes: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // The same imports as this process: offline ones when @std resolves to
      // a file.
      ...(import.meta.resolve("@std/bytes").startsWith("file:")
        ? [
          `--import-map=${
            new URL("../offline/import_map.json", import.meta.url).pathname
          }`,
        ]
        : []),
      "--allow-net=127.0.0.1",
      import.meta.filename!,
      "server",
      `--bytes=${bytes}`,
      `--pace=${pace}`,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("Cannot measure: the server did not start");
    text += value;
  }
  const port = Number(text.trim());
  const stdin = child.stdin.getWriter();
  // The transport as connectUrl opens it, its reads counted on the way.
  let reads = 0;
  const transport = await connectTcp(`tcp://127.0.0.1:${port}`);
  const counted = transport.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        reads++;
        controller.enqueue(chunk);
      },
    }),
  );
  const client = await StompClient.connect(
    { ...transport, readable: counted },
    { heartBeat: [0, 0] },
  );
  const subscription = await client.subscribe("/queue/trickle");
  const before = sample();
  const readsBefore = reads;
  // Wait until the server has written the body and the client has read it.
  while (!text.includes("sent")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("Cannot measure: the server ended early");
    text += value;
  }
  let seen = -1;
  while (client.stats.bytesIn !== seen) {
    seen = client.stats.bytesIn;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const during = sample();
  const bodyReads = reads - readsBefore;
  await stdin.write(encoder.encode("go\n"));
  const iterator = subscription[Symbol.asyncIterator]();
  const { value: message } = await iterator.next();
  if (message?.frame.bodyLength !== bytes) {
    throw new Error(
      `Cannot measure: got a body of ${message?.frame.bodyLength} bytes`,
    );
  }
  const after = sample();
  const result = {
    ...report("client over TCP", bytes, before, during, after),
    bytesPerRead: round(bytes / bodyReads),
  };
  message.body; // kept alive until measured
  await client.disconnect();
  await stdin.close();
  await child.status;
  return result;
}

function upfront() {
  const declared = 64 * MiB;
  const decoder = new StompDecoder({ maxBodyBytes: declared });
  const before = sample();
  decoder.push(encoder.encode(
    `MESSAGE\ndestination:/queue/big\ncontent-length:${declared}\n\nabc`,
  ));
  const during = sample();
  // And in two chunks: the head, then the 3 bytes.
  const split = new StompDecoder({ maxBodyBytes: declared });
  split.push(
    encoder.encode(
      `MESSAGE\ndestination:/queue/big\ncontent-length:${declared}\n\n`,
    ),
  );
  split.push(encoder.encode("abc"));
  const both = sample();
  return {
    case: "upfront",
    declared,
    received: 3,
    heapBytes: during.heap - before.heap,
    heapBytesSplit: both.heap - during.heap,
    keep: [decoder.buffered, split.buffered],
  };
}

const bytes = Number(flag("bytes") ?? 1_000_000);
/** Milliseconds the server waits after each byte it writes. */
const pace = Number(flag("pace") ?? 0.02);
switch (Deno.args[0]) {
  case "server":
    await server(bytes);
    break;
  case "stream":
    console.log(
      JSON.stringify(await stream(bytes, Deno.args.includes("--bodyChunks"))),
    );
    break;
  case "client":
    console.log(JSON.stringify(await client(bytes)));
    break;
  case "head":
    console.log(JSON.stringify(await head(bytes)));
    break;
  case "upfront":
    console.log(JSON.stringify(upfront()));
    break;
  case "all":
    console.log(JSON.stringify(await stream(bytes, false)));
    console.log(JSON.stringify(await stream(bytes, true)));
    console.log(JSON.stringify(await client(bytes)));
    console.log(JSON.stringify(upfront()));
    break;
  default:
    throw new Error(
      "Usage: trickle_memory.ts stream|client|head|upfront|all [--bytes=N] [--bodyChunks]",
    );
}
