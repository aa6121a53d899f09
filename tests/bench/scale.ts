// What the client costs at scale: memory per client and per subscription,
// a long run of connections made and closed, and a burst of sends nobody
// awaits. Prints one JSON line per case (and a summary line on stderr); heap
// is V8's heap used plus external memory (ArrayBuffer contents) of this
// isolate, after a full GC, as a difference from a baseline taken before.
//
//   deno run --v8-flags=--expose-gc -A tests/bench/scale.ts <case> [--n=N] [--url=URL]
//
// Cases (default N in brackets):
//   clients        N clients in one process, one subscription each, then
//                  idle for --idle=S seconds (10): heap per client, process
//                  CPU while idle [1000]
//   subscriptions  one client, N subscriptions: heap per subscription [10000]
//   cycles         N connections made and disconnected one after another:
//                  heap at each tenth, milliseconds per cycle [100000]
//   unawaited      N sends of 100 B issued without awaiting any, then
//                  disconnect (waiting as long as it takes): heap held while
//                  they wait, time until all were written [1000000]
//
// Without --url the broker is a StompTestBroker on a Worker thread of this
// process (its heap is not counted; RSS and CPU are the whole process's).
// With --url (tcp://guest:guest@127.0.0.1:61613, say) the broker is that.

import process from "node:process";
import { StompClient } from "../../src/client/mod.ts";
import { flag } from "./_args.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  throw new Error(
    "Cannot measure: run with --v8-flags=--expose-gc to allow a full GC",
  );
}

const MiB = 1024 * 1024;

/** Heap plus external memory after a full GC, in bytes. */
function heap(): number {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

function rss(): number {
  return Deno.memoryUsage().rss;
}

/** Milliseconds of CPU this process has used. */
function cpu(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The broker: the URL given, or a StompTestBroker on a Worker thread. */
async function broker(): Promise<{ url: string; close(): Promise<void> }> {
  const url = flag("url");
  if (url !== undefined) return { url, close: async () => {} };
  const worker = new Worker(
    new URL("../_broker_worker.ts", import.meta.url),
    { type: "module" },
  );
  const answer = () =>
    new Promise<string>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
    });
  const started = answer();
  worker.postMessage({});
  const listening = await started;
  return {
    url: listening,
    async close() {
      const closed = answer();
      worker.postMessage("close");
      await closed;
      worker.terminate();
    },
  };
}

function connect(url: string): Promise<StompClient> {
  return StompClient.connectUrl(url, { login: "guest", passcode: "guest" });
}

function report(result: Record<string, unknown>, summary: string): void {
  console.log(JSON.stringify(result));
  console.error(summary);
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * N connected clients, in batches of 50. A function of its own: a suspended
 * async frame keeps its temporaries (the last batch) reachable.
 */
async function connectAll(url: string, n: number): Promise<StompClient[]> {
  const all: StompClient[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from(
      { length: Math.min(50, n - i) },
      () => connect(url),
    );
    all.push(...await Promise.all(batch));
  }
  return all;
}

async function each(
  all: StompClient[],
  task: (client: StompClient) => Promise<unknown>,
): Promise<void> {
  await Promise.all(all.map(task));
}

async function clients(url: string, n: number): Promise<void> {
  const idle = Number(flag("idle") ?? 10);
  const base = heap();
  const all = await connectAll(url, n);
  const connected = heap() - base;
  await each(all, (client) => client.subscribe("/topic/scale"));
  const subscribed = heap() - base;
  const before = cpu();
  const start = performance.now();
  await sleep(idle * 1000);
  const idleCpu = (cpu() - before) / (performance.now() - start) * 100;
  const rssMiB = rss() / MiB;
  await each(all, (client) => client.disconnect());
  all.length = 0;
  const after = heap() - base;
  report(
    {
      case: "clients",
      n,
      heapPerClientKiB: round(connected / n / 1024),
      heapPerSubscribedClientKiB: round(subscribed / n / 1024),
      idleCpuPercent: round(idleCpu, 2),
      rssMiB: round(rssMiB),
      heapAfterMiB: round(after / MiB, 2),
    },
    `${n} clients: ${round(connected / n / 1024)} KiB each connected, ${
      round(subscribed / n / 1024)
    } KiB with one subscription; idle ${idle} s at ${
      round(idleCpu, 2)
    } % CPU; ${round(after / MiB, 2)} MiB left after all disconnected`,
  );
}

async function subscriptions(url: string, n: number): Promise<void> {
  const client = await connect(url);
  const base = heap();
  const start = performance.now();
  const all = await Promise.all(
    Array.from({ length: n }, (_, i) => client.subscribe(`/topic/scale-${i}`)),
  );
  await client.send("/topic/scale-none", "", { receipt: true, timeout: 0 });
  const ms = performance.now() - start;
  const held = heap() - base;
  await Promise.all(all.map((subscription) => subscription.unsubscribe()));
  await client.send("/topic/scale-none", "", { receipt: true, timeout: 0 });
  all.length = 0;
  const after = heap() - base;
  await client.disconnect();
  report(
    {
      case: "subscriptions",
      n,
      ms: Math.round(ms),
      heapPerSubscriptionKiB: round(held / n / 1024, 2),
      heapAfterUnsubscribeMiB: round(after / MiB, 2),
    },
    `${n} subscriptions on one client in ${Math.round(ms)} ms (confirmed): ${
      round(held / n / 1024, 2)
    } KiB each; ${round(after / MiB, 2)} MiB left after unsubscribing`,
  );
}

async function cycles(url: string, n: number): Promise<void> {
  const base = heap();
  const start = performance.now();
  const curve: { cycles: number; heapMiB: number; msPerCycle: number }[] = [];
  const step = Math.max(1, Math.floor(n / 10));
  for (let i = 1; i <= n; i++) {
    const client = await connect(url);
    await client.disconnect();
    if (i % step === 0 || i === n) {
      curve.push({
        cycles: i,
        heapMiB: round((heap() - base) / MiB, 2),
        msPerCycle: round((performance.now() - start) / i, 3),
      });
    }
  }
  report(
    { case: "cycles", n, rssMiB: round(rss() / MiB), curve },
    `${n} connect/disconnect cycles: heap ${
      curve.map((point) => point.heapMiB).join(", ")
    } MiB at each tenth; ${curve.at(-1)!.msPerCycle} ms per cycle`,
  );
}

async function unawaited(url: string, n: number): Promise<void> {
  const client = await connect(url);
  // A topic nobody subscribes to: the broker keeps nothing.
  const destination = "/topic/scale-unawaited";
  const body = "x".repeat(100);
  const base = heap();
  const start = performance.now();
  for (let i = 0; i < n; i++) client.send(destination, body);
  const issuedMs = performance.now() - start;
  const held = heap() - base;
  const buffered = client.bufferedAmount;
  await client.disconnect({ timeout: 0 });
  const ms = performance.now() - start;
  report(
    {
      case: "unawaited",
      n,
      issuedMs: Math.round(issuedMs),
      heapHeldMiB: round(held / MiB),
      heapPerSendB: Math.round(held / n),
      bufferedMiB: round(buffered / MiB),
      writtenAfterMs: Math.round(ms),
    },
    `${n} sends of 100 B not awaited: issued in ${Math.round(issuedMs)} ms, ${
      round(held / MiB)
    } MiB of heap held (${Math.round(held / n)} B each, ${
      round(buffered / MiB)
    } MiB of frames), all written and DISCONNECT confirmed after ${
      Math.round(ms)
    } ms`,
  );
}

const cases: Record<
  string,
  [(url: string, n: number) => Promise<void>, number]
> = {
  clients: [clients, 1000],
  subscriptions: [subscriptions, 10_000],
  cycles: [cycles, 100_000],
  unawaited: [unawaited, 1_000_000],
};

const name = Deno.args[0] ?? "";
const chosen = cases[name];
if (chosen === undefined) {
  console.error(
    `Usage: scale.ts <${Object.keys(cases).join("|")}> [--n=N] [--url=URL]`,
  );
  Deno.exit(2);
}
const [run, defaultN] = chosen;
const peer = await broker();
try {
  // Code and caches loaded on first use (the first connection, node:process)
  // are not the case's cost.
  const warm = await connect(peer.url);
  await (await warm.subscribe("/topic/scale-warm-up")).unsubscribe();
  await warm.send("/topic/scale-warm-up", "x", { receipt: true });
  await warm.disconnect();
  cpu();
  await run(peer.url, Number(flag("n") ?? defaultN));
} finally {
  await peer.close();
}
