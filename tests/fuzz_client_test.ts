// The client against a hostile server: sessions of the real StompClient over
// TCP on 127.0.0.1 against the seeded scripts of tests/fuzz/_hostile.ts,
// under the rules of tests/fuzz/_client_fuzz.ts, shared with
// `deno task fuzz:client` (100,000 sessions and more); this runs a few
// hundred, and proves that each rule of the harness catches its fault.

import { assert, assertEquals, assertGreater, assertMatch } from "@std/assert";
import {
  type ClientFuzzFailure,
  type ClientFuzzOptions,
  replayFlags,
  runClientFuzz,
  type Sabotage,
} from "./fuzz/_client_fuzz.ts";

/** A failure as a line: where, which rule, what, and how to replay it. */
function describe(f: ClientFuzzFailure): string {
  return `session ${f.index}, ${f.rule}: ${f.message} (${f.replay})`;
}

Deno.test("runClientFuzz keeps every rule over 240 sessions against the hostile server", async () => {
  const { stats, failures } = await runClientFuzz({
    count: 240,
    seed: 1,
    jobs: 8,
    keepGoing: true,
  });
  assertEquals(failures.map(describe), []);
  assertEquals(stats.sessions, 240);
  // Both ends of the handshake and both kinds of client are reached.
  assertGreater(stats.connected, 80);
  assertGreater(stats.connectFailed, 40);
  assertGreater(stats.reconnecting, 80);
  assertGreater(stats.connections, 300);
  for (
    const kind of [
      "ok",
      "ok+tail",
      "odd",
      "error",
      "garbage",
      "silent",
      "close",
      "truncated",
    ]
  ) {
    assertGreater(stats.server[`handshake ${kind}`] ?? 0, 0, kind);
  }
  for (const style of ["whole", "joined", "bytewise", "splits"]) {
    assertGreater(stats.server[`style ${style}`] ?? 0, 0, style);
  }
  assertGreater(stats.server["tail error (one write)"] ?? 0, 0);
  const hostile = Object.keys(stats.server).filter((k) =>
    k.startsWith("hostile ")
  );
  assertGreater(hostile.length, 15, hostile.join(", "));
  for (
    const op of [
      "connect: resolved",
      "connect: StompConnectionError",
      "subscribe: resolved",
      "send receipt: resolved",
      "send receipt: StompTimeoutError",
      "request: resolved",
      "disconnect: resolved",
    ]
  ) {
    assertGreater(stats.operations[op] ?? 0, 0, op);
  }
});

Deno.test("runClientFuzz keeps every rule over 120 sessions whose hooks throw", async () => {
  const { stats, failures } = await runClientFuzz({
    count: 120,
    seed: 2,
    jobs: 8,
    keepGoing: true,
    throwingHooks: true,
  });
  assertEquals(failures.map(describe), []);
  assertGreater(stats.hookThrows, 100);
  assertGreater(stats.consoleErrors, 0);
});

async function sabotaged(sabotage: Sabotage): Promise<ClientFuzzFailure[]> {
  const options: ClientFuzzOptions = {
    count: 1,
    seed: 7,
    from: 3,
    jobs: 1,
    slack: sabotage === "hang" ? 50 : 1500,
    keepGoing: true,
    hostility: 0,
    sabotage,
  };
  if (sabotage === "memory") {
    // A bound above what the process holds now, that the sabotage (which
    // allocates the bound again) crosses.
    options.maxRssMiB = Math.ceil(Deno.memoryUsage().rss / 2 ** 20) + 64;
  }
  const { failures } = await runClientFuzz(options);
  for (const failure of failures) {
    assertEquals(failure.index, 3);
    assertEquals(failure.replay, "--seed=7 --from=3 --count=1 --hostility=0");
  }
  return [...failures];
}

Deno.test("runClientFuzz fails a session with an uncaught error, and names its replay", async () => {
  const failures = await sabotaged("uncaught");
  assertEquals(failures.map((f) => f.rule), ["uncaught"]);
  assertMatch(failures[0]!.message, /sabotage: an uncaught error/);
});

Deno.test("runClientFuzz fails a session with an unhandled rejection", async () => {
  const failures = await sabotaged("rejection");
  assertEquals(failures.map((f) => f.rule), ["uncaught"]);
  assertMatch(failures[0]!.message, /^unhandled rejection: .*sabotage/);
});

Deno.test("runClientFuzz fails a session with an operation that never settles, without waiting for it", async () => {
  const started = performance.now();
  const failures = await sabotaged("hang");
  assertEquals(failures.map((f) => f.rule), ["settle"]);
  assertMatch(
    failures[0]!.message,
    /^sabotage did not settle within its timeout of 10 ms/,
  );
  assert(performance.now() - started < 5000);
});

Deno.test("runClientFuzz fails a session while memory is over its bound", async () => {
  const failures = await sabotaged("memory");
  assertEquals(failures.map((f) => f.rule), ["memory"]);
  assertMatch(failures[0]!.message, /over the bounds of 256 and [0-9]+ MiB/);
});

Deno.test("runClientFuzz against a valid server (hostility 0) breaks no rule", async () => {
  const { stats, failures } = await runClientFuzz({
    count: 60,
    seed: 3,
    jobs: 8,
    keepGoing: true,
    hostility: 0,
    reconnect: "never",
  });
  assertEquals(failures, []);
  assertEquals(stats.connected, 60);
});

Deno.test("replayFlags names the options that change a session", () => {
  assertEquals(
    replayFlags(
      { count: 9, seed: 5, throwingHooks: true, reconnect: "never" },
      42,
    ),
    "--seed=5 --from=42 --count=1 --throwing-hooks --reconnect=never",
  );
  assertEquals(
    replayFlags({ count: 9, seed: 5 }, 0),
    "--seed=5 --from=0 --count=1",
  );
});
