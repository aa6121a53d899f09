// Run by transports_memory_test.ts in its own process with
// --v8-flags=--expose-gc: what a transport keeps of work that is over,
// measured as heap growth after a full GC. Prints one JSON line.
//
//   connect-tcp <n>  n connectTcp() + close() to a loopback listener
//   connect-ws <n>   n connectWebSocket() + close() to a loopback server
//   paced-ws <n>     n pacing sleeps of one WebSocket transport whose socket
//                    drains slowly (a stand-in socket: no real one can be
//                    held just above its high-water mark on loopback)

import { connectTcp, connectWebSocket, fromWebSocket } from "../../mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

async function heap(): Promise<number> {
  // Twice, with a turn between, so that finalised objects go too.
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc!();
  return Deno.memoryUsage().heapUsed;
}

async function connectTcpCycles(n: number): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  const url = `tcp://127.0.0.1:${listener.addr.port}`;
  const cycle = async () => (await connectTcp(url)).close();
  for (let i = 0; i < 200; i++) await cycle();
  const before = await heap();
  for (let i = 0; i < n; i++) await cycle();
  const after = await heap();
  listener.close();
  return after - before;
}

async function connectWebSocketCycles(n: number): Promise<number> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => Deno.upgradeWebSocket(request).response,
  );
  const url = `ws://127.0.0.1:${server.addr.port}`;
  const cycle = async () => {
    const transport = await connectWebSocket(url);
    transport.close();
    await transport.closed;
  };
  for (let i = 0; i < 100; i++) await cycle();
  const before = await heap();
  for (let i = 0; i < n; i++) await cycle();
  const after = await heap();
  await server.shutdown();
  return after - before;
}

/**
 * A socket that drains by half between polls: the writer's drain loop
 * then sleeps the shortest delay on every poll, about 2,000 times a write
 * (halving 2^1000 reaches 0 after some 2,100 steps).
 */
class HalvingSocket extends EventTarget {
  readyState = 1;
  binaryType = "arraybuffer";
  protocol = "v12.stomp";
  #buffered = 0;
  polls = 0;
  get bufferedAmount(): number {
    this.polls++;
    const now = this.#buffered;
    this.#buffered /= 2;
    return now;
  }
  send(): void {
    this.#buffered = 2 ** 1000;
  }
  close(): void {
    this.readyState = 3;
    this.dispatchEvent(
      Object.assign(new Event("close"), {
        code: 1000,
        reason: "",
        wasClean: true,
      }),
    );
  }
}

async function pacedSleeps(n: number): Promise<number> {
  const socket = new HalvingSocket();
  const transport = fromWebSocket(socket as unknown as WebSocket, {
    highWaterMark: 0,
  });
  const writer = transport.writable.getWriter();
  await writer.write(new Uint8Array(1));
  const before = await heap();
  const start = socket.polls;
  while (socket.polls - start < n) await writer.write(new Uint8Array(1));
  const after = await heap();
  const polls = socket.polls - start;
  transport.close();
  return (after - before) / polls * n;
}

const [mode, count] = Deno.args;
const n = Number(count);
const growth = mode === "connect-tcp"
  ? await connectTcpCycles(n)
  : mode === "connect-ws"
  ? await connectWebSocketCycles(n)
  : mode === "paced-ws"
  ? await pacedSleeps(n)
  : undefined;
if (growth === undefined) throw new Error(`Unknown mode ${mode}`);
console.log(JSON.stringify({ mode, n, bytesPerCycle: growth / n }));
