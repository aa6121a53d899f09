// A service whose link to the broker stalls without closing: the process that
// relays it is paused (SIGSTOP), as a proxy, a NAT box or a broker's host can
// be. Nothing comes, nothing goes, the socket stays open and the service's
// writes wait once the kernel's buffers are full. The service (a producer
// awaiting each 16 KiB send, under Deno and under Node) must notice the
// silence at its heart-beat limit, say so, keep its memory within
// `sendBufferSize`, get through the attempts the paused relay swallows, and
// send on once the relay runs again.

import { assert, assertEquals } from "@std/assert";
import { BROKERS } from "./_client.ts";
import { inServiceDir } from "./_npm_runtime.ts";
import { eventually, sleep } from "../_helpers.ts";

/**
 * The service offers heart-beats every 500 ms each way; RabbitMQ answers
 * 1000 ms, so the silence limit is 3 × 1000 ms.
 */
const SILENCE_LIMIT_MS = 3000;
const STALL_MS = 5000;
const SEND_BUFFER = 1024 * 1024;

// A plain TCP relay in a process of its own, so that SIGSTOP stalls it.
const RELAY = `
const [upstream] = Deno.args;
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(listener.addr.port);
for await (const client of listener) {
  Deno.connect({ hostname: "127.0.0.1", port: Number(upstream) }).then(
    (server) => {
      client.readable.pipeTo(server.writable).catch(() => {});
      server.readable.pipeTo(client.writable).catch(() => {});
    },
    () => client.close(),
  );
}
`;

// The service: sends 16 KiB bodies, awaiting each, and prints one JSON line
// per state change and every 250 ms.
const SERVICE = `
import process from "node:process";
import { StompClient } from "@stomper/stomp";

const print = (event) => console.log(JSON.stringify(event));
const client = await StompClient.connectUrl(process.env.STOMP_URL, {
  heartBeat: [500, 500],
  connectTimeout: 1000,
  sendBufferSize: ${SEND_BUFFER},
  reconnect: { initialDelay: 100, maxDelay: 500, retries: Infinity },
  onStateChange: ({ state, error }) => print({ state, error: error?.message }),
});
let sent = 0;
setInterval(() => print({ sent, buffered: client.bufferedAmount }), 250);
const body = new Uint8Array(16384);
for (;;) {
  await client.send(process.env.QUEUE, body).catch(() => {});
  sent++;
}
`;

interface ServiceEvent {
  state?: string;
  error?: string;
  sent?: number;
  buffered?: number;
}

function spawn(command: string[], cwd: string, env: Record<string, string>) {
  return new Deno.Command(command[0]!, {
    args: command.slice(1),
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Collects `child`'s JSON lines into `events`; resolves at its end. */
async function collect(
  child: Deno.ChildProcess,
  events: ServiceEvent[],
): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = text.indexOf("\n")) >= 0) {
      events.push(JSON.parse(text.slice(0, end)));
      text = text.slice(end + 1);
    }
  }
}

async function stallLink(service: string[], dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/relay.ts`, RELAY);
  const upstream = new URL(BROKERS.rabbitmqTcp).port;
  const relay = spawn(
    [Deno.execPath(), "run", "--allow-net=127.0.0.1", "relay.ts", upstream],
    dir,
    {},
  );
  const relayOut = relay.stdout.getReader();
  const { value } = await relayOut.read();
  const port = Number(new TextDecoder().decode(value).trim());
  relayOut.releaseLock();
  relay.stdout.cancel();
  const child = spawn(service, dir, {
    STOMP_URL: `tcp://guest:guest@127.0.0.1:${port}`,
    QUEUE: `/queue/stomper-stall-${crypto.randomUUID()}`,
  });
  const events: ServiceEvent[] = [];
  const reading = collect(child, events);
  const stderr = new Response(child.stderr).text();
  const sent = () => events.findLast((e) => e.sent !== undefined)?.sent ?? 0;
  const states = () => events.flatMap((e) => e.state ?? []);
  try {
    await eventually(() => sent() > 200, 20_000, "sending").catch(
      async (error) => {
        child.kill("SIGKILL");
        throw new Error(`${error.message}: ${await stderr}`);
      },
    );
    relay.kill("SIGSTOP");
    const stalledAt = performance.now();
    await eventually(
      () => states().includes("reconnecting"),
      SILENCE_LIMIT_MS + 3000,
      "the silence noticed",
    );
    const noticed = performance.now() - stalledAt;
    await sleep(STALL_MS - (performance.now() - stalledAt));
    const before = sent();
    relay.kill("SIGCONT");
    await eventually(
      () => states().filter((s) => s === "connected").length === 2,
      5000,
      "connected again",
    );
    await eventually(() => sent() > before + 100, 10_000, "sending again");

    assertEquals(states().slice(0, 3), [
      "connected",
      "reconnecting",
      "connected",
    ]);
    const lost = events.find((e) => e.state === "reconnecting")!;
    assert(
      lost.error?.startsWith("Server silent for "),
      `the loss says why: ${lost.error}`,
    );
    assert(noticed < SILENCE_LIMIT_MS + 2000, `noticed after ${noticed} ms`);
    const most = Math.max(...events.map((e) => e.buffered ?? 0));
    assert(
      most <= SEND_BUFFER + 64 * 1024,
      `at most sendBufferSize held, not ${most} bytes`,
    );
  } finally {
    for (const process of [relay, child]) {
      try {
        process.kill("SIGCONT");
        process.kill("SIGKILL");
      } catch {
        // It has exited.
      }
      await process.status;
    }
    await reading;
    await stderr;
    await relay.stderr.cancel();
  }
}

for (const runtime of ["Deno", "Node"] as const) {
  Deno.test(`A ${runtime} service whose link to RabbitMQ stalls notices the silence, holds its memory and sends on once the link runs again`, async () => {
    await inServiceDir(runtime, SERVICE, stallLink);
  });
}
