// What the transports keep of work that is over, measured in a process of its
// own (tests/integration/_transport_heap.ts, with --expose-gc) as heap growth
// after a full GC. Loopback peers only: no broker is needed.

import { assert } from "@std/assert";

async function measure(mode: string, n: number): Promise<number> {
  const script = new URL("./_transport_heap.ts", import.meta.url).pathname;
  const importMap = new URL("../offline/import_map.json", import.meta.url)
    .pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      `--import-map=${importMap}`,
      "--allow-net=127.0.0.1",
      script,
      mode,
      String(n),
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert(code === 0, `${mode}: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text).bytesPerCycle;
}

Deno.test("connectTcp keeps nothing of its connect timeout once the transport opened", async () => {
  // Before: AbortSignal.timeout(10 s) per attempt, alive for 10 s whatever
  // happened: 490 bytes a cycle; after: 42.
  const perCycle = await measure("connect-tcp", 3000);
  assert(perCycle < 200, `${perCycle.toFixed(0)} bytes kept per cycle`);
});

Deno.test("connectWebSocket keeps nothing of its connect timeout once the transport opened", async () => {
  // Before: 733 bytes a cycle; after: 133.
  const perCycle = await measure("connect-ws", 1000);
  assert(perCycle < 400, `${perCycle.toFixed(0)} bytes kept per cycle`);
});

Deno.test("fromWebSocket keeps nothing per pacing sleep while the socket lives (a halving stand-in socket)", async () => {
  // Before: each sleep raced the socket's long-lived `closed` promise and
  // left a reaction on it: 313 bytes a sleep; after: under 1.
  const perSleep = await measure("paced-ws", 2000);
  assert(perSleep < 50, `${perSleep.toFixed(0)} bytes kept per sleep`);
});
