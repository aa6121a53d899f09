// StompClient keeps what a user asked of it, against real brokers and real
// processes: a user's script that fires 10,000 sends without awaiting them
// and ends (tests/fixtures/burst.ts) loses none and exits cleanly; a
// subscription RabbitMQ refuses ends instead of reconnecting for ever; and
// un-awaited sends of a large body to a connection that cannot drain
// (tests/fixtures/memory.ts) cost bounded memory and are all delivered once
// it drains.

import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertRejects,
} from "@std/assert";
import { StompServerError } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { ChaosRelay } from "../_chaos.ts";
import { assertSequence, consume, readBodies } from "../_sequence.ts";
import { BROKERS, connectTo, runDeno, withGuest } from "./_client.ts";
import { uniqueQueue, within } from "../_helpers.ts";

const QUIET = { heartBeat: [0, 0] as [number, number] };
const BURST = 10_000;
const RABBITMQ_PORT = Number(new URL(BROKERS.rabbitmqTcp).port);
const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURE_FLAGS = [
  "--import-map=tests/offline/import_map.json",
  "--allow-net",
  "--allow-read",
  "--allow-env",
];

// --- a burst, then the end of the script -------------------------------------

const BURST_TARGETS = [
  { name: "RabbitMQ", broker: "rabbitmq" },
  { name: "the test broker", broker: "test" },
] as const;

for (const target of BURST_TARGETS) {
  for (const mode of ["disconnect", "using"] as const) {
    const how = mode === "disconnect" ? "await disconnect()" : "await using";
    Deno.test(`StompClient in a script: ${BURST} un-awaited sends, then ${how}, all reach ${target.name} in order and the script exits 0`, async () => {
      await using broker = target.broker === "test"
        ? StompTestBroker.listen()
        : undefined;
      const url = broker?.url ?? BROKERS.rabbitmqTcp;
      const queue = uniqueQueue(`burst-${mode}`);
      const run = await runDeno([
        "run",
        ...FIXTURE_FLAGS,
        "tests/fixtures/burst.ts",
        withGuest(url),
        queue,
        String(BURST),
        mode,
      ]);
      await using reader = await connectTo(url, QUIET);
      const bodies = await readBodies(await reader.subscribe(queue), BURST);
      const uncaught = run.stderr.split("\n").filter((line) =>
        line.includes("Uncaught")
      );
      console.log(
        `exit ${run.code}; ${uncaught.length} "Uncaught" lines${
          uncaught.length === 0 ? "" : ` (the first: ${uncaught[0]})`
        }; ${bodies.length} of ${BURST} arrived`,
      );
      assertEquals(run.code, 0, run.stderr);
      assertEquals(uncaught, []);
      assertSequence(bodies, BURST);
    });
  }
}

// --- a refused subscription ----------------------------------------------------

Deno.test("StompClient with reconnect ends a subscription RabbitMQ refuses instead of reconnecting for ever", async () => {
  const retries = 3;
  await using relay = ChaosRelay.start({ port: RABBITMQ_PORT });
  const stomp = await connectTo(relay.url, {
    ...QUIET,
    reconnect: { retries, initialDelay: 50 },
  });
  const start = performance.now();
  try {
    const refused = (async () => {
      // RabbitMQ's ERROR "Unknown destination" carries no receipt-id.
      const subscription = await stomp.subscribe("/foo/bar");
      for await (const _ of subscription) { /* nothing comes */ }
    })();
    const error = await assertRejects(
      () => within(refused, 5000, "refused subscription"),
      StompServerError,
    );
    assertEquals(error.frame.headers.get("message"), "Unknown destination");
    // Whatever it still does (reconnecting after the ERROR), give it the
    // time to; then what was refused is gone and the rest works.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await within(
      stomp.send(uniqueQueue("after-refusal"), "x", { receipt: true }),
      5000,
      "send",
    );
  } finally {
    console.log(
      `${relay.connections} connections in ${
        Math.round(performance.now() - start)
      } ms`,
    );
    stomp.close();
  }
  assertLessOrEqual(relay.connections, retries + 1);
});

// --- memory while the connection cannot drain ----------------------------------

/** A fixture script as a subprocess, spoken to a line at a time. */
class LineProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  readonly #stderr: Promise<string>;
  #pending = "";

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .values();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** The next line of standard output; fails after `ms`. */
  async line(ms: number): Promise<string> {
    while (!this.#pending.includes("\n")) {
      const { value, done } = await within(this.#lines.next(), ms, "a line");
      if (done) {
        throw new Error(
          `The process ended before a line came: ${await this.#stderr}`,
        );
      }
      this.#pending += value;
    }
    const at = this.#pending.indexOf("\n");
    const line = this.#pending.slice(0, at);
    this.#pending = this.#pending.slice(at + 1);
    return line;
  }

  /** Writes a line to standard input. */
  async write(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Closes standard input and waits for the exit; fails after `ms`. */
  async exit(ms: number): Promise<{ code: number; stderr: string }> {
    await this.#stdin.close();
    const { code } = await within(this.#child.status, ms, "exit");
    return { code, stderr: await this.#stderr };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await this.#stdin.close().catch(() => {});
    await this.#child.status;
    await this.#lines.return?.();
    await this.#stderr;
  }
}

interface MemoryFigures {
  heapUsed: number;
  rss: number;
  external: number;
}

interface MemoryReport {
  count: number;
  bodySize: number;
  gc: boolean;
  issueMs: number;
  before: MemoryFigures;
  after: MemoryFigures;
  bufferedAmount: number | null;
}

const MiB = 1024 * 1024;
/** The client's default `sendBufferSize`. */
const SEND_BUFFER_SIZE = 4 * MiB;
// What memory may grow by beyond the send buffer. A send that waits for
// room must be kept, but its body is shared, not copied: the least that can
// cost, measured as a built SEND frame and a deferred per operation, is
// 762 bytes of heap (V8 12, Deno 2.9). 2 KiB each leaves room for the
// client's bookkeeping and is still 8 times less than a copied 16 KiB body.
// 8 MiB more is the noise of a heap that has just run 100,000 calls, after
// a GC.
const PER_PENDING_OPERATION = 2048;
const FIXED_SLACK = 8 * MiB;
const MEMORY_COUNT = 100_000;

/** The memory figures' growth from before the burst to after it. */
function growth(report: MemoryReport): MemoryFigures {
  return {
    heapUsed: report.after.heapUsed - report.before.heapUsed,
    rss: report.after.rss - report.before.rss,
    external: report.after.external - report.before.external,
  };
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Deletes a RabbitMQ queue (a failed run may leave gigabytes in it). */
async function deleteRabbitMqQueue(destination: string): Promise<void> {
  await new Deno.Command("rabbitmqctl", {
    args: [
      "-q",
      "-n",
      "rabbit@localhost",
      "delete_queue",
      destination.replace(/^\/queue\//, ""),
    ],
    // As scripts/brokers.sh runs it: Debian's tools first.
    env: { PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${Deno.env.get("PATH")}` },
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(30000),
  }).output().catch(() => {});
}

Deno.test(`StompClient holds ${MEMORY_COUNT} un-awaited sends of 16 KiB to a connection that cannot drain in bounded memory, then delivers them all`, async () => {
  const queue = uniqueQueue("memory");
  await using _cleanup = {
    [Symbol.asyncDispose]: () => deleteRabbitMqQueue(queue),
  };
  await using relay = ChaosRelay.start({ port: RABBITMQ_PORT });
  await using script = new LineProcess([
    "run",
    "--v8-flags=--expose-gc",
    ...FIXTURE_FLAGS,
    "tests/fixtures/memory.ts",
    withGuest(relay.url),
    queue,
    String(MEMORY_COUNT),
  ]);
  assertEquals(JSON.parse(await script.line(10000)), { connected: true });
  relay.silence("toServer");
  const forwardedBefore = relay.bytes("toServer");
  await script.write("send");
  const report = JSON.parse(await script.line(120000)) as MemoryReport;
  const grew = growth(report);
  const limit = SEND_BUFFER_SIZE + MEMORY_COUNT * PER_PENDING_OPERATION +
    FIXED_SLACK;
  console.log(
    `${report.count} × ${report.bodySize} B issued in ${report.issueMs} ms (gc: ${report.gc}); ` +
      `heapUsed ${mib(report.after.heapUsed)} (+${mib(grew.heapUsed)}), ` +
      `external ${mib(report.after.external)} (+${mib(grew.external)}), ` +
      `rss ${mib(report.after.rss)} (+${mib(grew.rss)}); ` +
      `bufferedAmount ${report.bufferedAmount}; ` +
      `relay forwarded ${
        relay.bytes("toServer") - forwardedBefore
      } B while paused; limit on heapUsed + external growth ${mib(limit)}`,
  );
  assert(report.gc, "memory.ts ran without --expose-gc");
  // The buffered bytes are ArrayBuffers: `external`, not `heapUsed`.
  assert(
    grew.heapUsed + grew.external <= limit,
    `heapUsed + external grew by ${
      mib(grew.heapUsed + grew.external)
    }, more than ${mib(limit)}`,
  );
  assert(
    typeof report.bufferedAmount === "number" && report.bufferedAmount > 0,
    `bufferedAmount ${report.bufferedAmount} while the connection is stuck`,
  );

  // Drained: every message arrives, counted by a consumer with a prefetch.
  await using consumer = await connectTo(BROKERS.rabbitmqTcp, QUIET);
  const subscription = await consumer.subscribe(queue, {
    ack: "client",
    headers: { "prefetch-count": "1000" },
  });
  const start = performance.now();
  relay.resume("toServer");
  await script.write("go");
  let counted = 0;
  const counting = consume(subscription, MEMORY_COUNT, async (message) => {
    counted++;
    if (counted % 500 === 0) await message.ack();
  }, 30000);
  const exit = await script.exit(300000);
  const received = await within(counting, 300000, "counting");
  console.log(
    `exit ${exit.code}; ${received} of ${MEMORY_COUNT} arrived in ${
      Math.round(performance.now() - start)
    } ms`,
  );
  assertEquals(exit.code, 0, exit.stderr);
  assertEquals(received, MEMORY_COUNT);
});
