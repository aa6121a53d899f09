// A service's process paused by its host (SIGSTOP then SIGCONT: a laptop lid,
// a VM migration, a debugger stopped at a breakpoint) for longer than
// RabbitMQ waits for its heart-beats: RabbitMQ closes the connection, and
// once the process runs again its client must see that, say so, reconnect,
// subscribe again and lose nothing, under Deno and under Node.

import { assert, assertEquals } from "@std/assert";
import { BROKERS, connectTo, withGuest } from "./_client.ts";
import { inServiceDir } from "./_npm_runtime.ts";
import { eventually, sleep, uniqueQueue } from "../_helpers.ts";

/** Messages sent before the pause, and as many again while it lasts. */
const HALF = 40;
/** Long enough for RabbitMQ to miss two of the service's 500 ms heart-beats. */
const PAUSE_MS = 4000;

// The service: a consumer with client-individual acks that reconnects, and
// prints one JSON line per event. Plain JavaScript, for Deno and Node alike.
const SERVICE = `
import process from "node:process";
import { StompClient } from "@stomper/stomp";

const print = (event) => console.log(JSON.stringify(event));
const client = await StompClient.connectUrl(process.env.STOMP_URL, {
  heartBeat: [500, 500],
  reconnect: { initialDelay: 100, retries: Infinity },
  onStateChange: ({ state, error }) => print({ state, error: error?.message }),
});
const jobs = await client.subscribe(process.env.QUEUE, {
  ack: "client-individual",
  headers: { "prefetch-count": "10" },
});
process.once("SIGTERM", () => client.drain({ timeout: 5000 }));
print({ ready: true });
for await (const job of jobs) {
  print({ body: job.text, redelivered: job.headers.get("redelivered") === "true" });
  await job.ack().catch((error) => print({ ackFailed: error.message }));
}
print({ drained: true });
`;

interface ServiceEvent {
  state?: string;
  error?: string;
  ready?: boolean;
  body?: string;
  ackFailed?: string;
  drained?: boolean;
}

/** Starts `command` in `dir`, collecting the JSON lines it prints. */
function start(command: string[], dir: string, queue: string) {
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    cwd: dir,
    env: { STOMP_URL: withGuest(BROKERS.rabbitmqTcp), QUEUE: queue },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const events: ServiceEvent[] = [];
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = text.indexOf("\n")) >= 0) {
        events.push(JSON.parse(text.slice(0, end)));
        text = text.slice(end + 1);
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  return { child, events, reading, stderr };
}

async function pauseService(command: string[], dir: string): Promise<void> {
  const queue = uniqueQueue("service-pause");
  await using producer = await connectTo(BROKERS.rabbitmqTcp);
  const service = start(command, dir, queue);
  const { child, events } = service;
  const bodies = () => new Set(events.flatMap((e) => e.body ?? []));
  try {
    await eventually(() => events.some((e) => e.ready), 20_000, "ready");
    for (let i = 0; i < HALF; i++) {
      await producer.send(queue, `job ${i}`, { receipt: true });
    }
    await eventually(() => bodies().size === HALF, 10_000, "the first half");

    child.kill("SIGSTOP");
    const pausedAt = performance.now();
    for (let i = HALF; i < 2 * HALF; i++) {
      await producer.send(queue, `job ${i}`, { receipt: true });
    }
    await sleep(PAUSE_MS - (performance.now() - pausedAt));
    child.kill("SIGCONT");
    const resumedAt = performance.now();

    await eventually(() => bodies().size === 2 * HALF, 20_000, "every job");
    const resumed = performance.now() - resumedAt;
    const states = events.flatMap((e) => e.state ?? []);
    assertEquals(states, ["connected", "reconnecting", "connected"]);
    const lost = events.find((e) => e.state === "reconnecting")!;
    assert(lost.error !== undefined, "the loss is said with its reason");
    assert(resumed < 10_000, `every job in ${resumed} ms after SIGCONT`);
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0, await service.stderr);
    await service.reading;
    assert(events.some((e) => e.drained));
    assertEquals(
      [...bodies()].sort(),
      Array.from({ length: 2 * HALF }, (_, i) => `job ${i}`).sort(),
    );
  } finally {
    try {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    } catch {
      // It has exited.
    }
    await child.status;
    await service.stderr;
  }
}

for (const runtime of ["Deno", "Node"] as const) {
  Deno.test(`A ${runtime} service paused past RabbitMQ's heart-beat timeout reconnects, subscribes again and loses nothing`, async () => {
    await inServiceDir(runtime, SERVICE, pauseService);
  });
}
