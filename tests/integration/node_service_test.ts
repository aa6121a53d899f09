// A service's life under Node 20 (/usr/bin/node) and Bun, as real
// subprocesses against RabbitMQ and ActiveMQ (scripts/brokers.sh): the
// worker of docs/runtimes.md ("A service: start, work, SIGTERM, exit"), run
// as written, is sent SIGTERM or SIGINT (Ctrl-C) mid-stream; it must exit by
// itself with code 0 soon after, a second worker takes the rest, and every
// job is done once. Then the process must also exit by itself once its
// client is closed however that came about: disconnect, close, drain, a
// connection that failed, a login refused, a server that never answered.

import { assert, assertEquals } from "@std/assert";
import type { StompClient } from "@stomper/stomp/client";
import { BROKERS, connectTo } from "./_client.ts";
import { BUN, installRuntime, writeLibraryPackage } from "./_npm_runtime.ts";
import { ChaosRelay } from "../_chaos.ts";
import { bash, eventually, sleep, uniqueQueue } from "../_helpers.ts";

const NODE = "/usr/bin/node";
const TOTAL = 300;
/** Jobs done by the first worker before it is sent the signal. */
const BEFORE_SIGNAL = 60;
/** How soon after the signal the worker must have exited (it takes ~0.2 s). */
const EXIT_WITHIN_MS = 5000;

/** The worker block of docs/runtimes.md, as a Node or Bun user copies it. */
async function workerFromDocs(
  queue: string,
  prefetch: string,
): Promise<string> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/runtimes.md", import.meta.url),
  );
  const block = /```ts\n(\/\/ worker\.mjs[^\n]*\n[\s\S]*?)```/.exec(doc)?.[1];
  assert(block !== undefined, "docs/runtimes.md has no worker.mjs block");
  assert(block.includes('"/queue/jobs"') && block.includes('"prefetch-count"'));
  return block.replaceAll("/queue/jobs", queue).replace(
    '"prefetch-count"',
    JSON.stringify(prefetch),
  );
}

/** `url` with RabbitMQ's default user, as the worker reads it from STOMP_URL. */
function withGuest(url: string): string {
  const parsed = new URL(url);
  parsed.username = "guest";
  parsed.password = "guest";
  return parsed.href;
}

/** A directory where `@stomper/stomp` resolves to a bundle of mod.ts. */
async function appDir(
  prefix: string,
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  await writeLibraryPackage(path);
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** A running script: its process, and its output once it exits. */
interface Run {
  child: Deno.ChildProcess;
  /** Exit code, signal, stdout, stderr and when it exited. */
  done: Promise<
    {
      code: number;
      signal: string | null;
      out: string;
      err: string;
      at: number;
    }
  >;
}

function start(
  runtime: string,
  script: string,
  cwd: string,
  env: Record<string, string> = {},
): Run {
  const child = new Deno.Command(runtime, {
    args: [script],
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  const done = child.output().then((output) => ({
    code: output.code,
    signal: output.signal,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
    at: Date.now(),
  }));
  return { child, done };
}

/**
 * Waits for a run to exit by itself, not by a signal: it is killed (and the
 * test fails) after `ms`.
 */
async function exited(run: Run, ms: number, what: string) {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    run.child.kill("SIGKILL");
  }, ms);
  try {
    const result = await run.done;
    assertEquals(
      result.signal,
      null,
      `${what} ${
        killed
          ? `did not exit within ${ms} ms`
          : `was ended by ${result.signal}`
      }:\n${result.out}${result.err}`,
    );
    return result;
  } finally {
    clearTimeout(timer);
  }
}

const BROKER_CASES = {
  RabbitMQ: { url: BROKERS.rabbitmqTcp, prefetch: "prefetch-count" },
  ActiveMQ: { url: BROKERS.activemqTcp, prefetch: "activemq.prefetchSize" },
} as const;

const SIGNAL_CASES: [string, keyof typeof BROKER_CASES, Deno.Signal][] = [
  ["Node", "RabbitMQ", "SIGTERM"],
  ["Node", "RabbitMQ", "SIGINT"],
  ["Node", "ActiveMQ", "SIGTERM"],
  ["Bun", "RabbitMQ", "SIGTERM"],
  ["Bun", "ActiveMQ", "SIGINT"],
];

/**
 * Queues `jobs` on `queue` through `checker` and counts, by text, the results
 * the workers send to `${queue}.done`; `stop()` ends the counting.
 */
async function jobLedger(
  checker: StompClient,
  queue: string,
  jobs: readonly string[],
): Promise<{ done: Map<string, number>; stop(): Promise<void> }> {
  const results = await checker.subscribe(`${queue}.done`, { receipt: true });
  for (const job of jobs) checker.send(queue, job);
  await checker.send(`${queue}.sync`, "", { receipt: true });
  const done = new Map<string, number>();
  const reading = (async () => {
    for await (const message of results) {
      done.set(message.text, (done.get(message.text) ?? 0) + 1);
    }
  })();
  return {
    done,
    async stop() {
      await results.unsubscribe();
      await reading;
    },
  };
}

/** job-0 to job-(TOTAL-1). */
const ALL_JOBS = Array.from({ length: TOTAL }, (_, i) => `job-${i}`);

function runtimeBinary(name: string): Promise<string> {
  return name === "Node" ? Promise.resolve(NODE) : installRuntime(BUN);
}

for (const [runtimeName, brokerName, signal] of SIGNAL_CASES) {
  Deno.test(`the worker of docs/runtimes.md under ${runtimeName} against ${brokerName}: ${signal} mid-stream drains, the process exits by itself with code 0, the next worker takes the rest, every job done once`, async () => {
    const { url, prefetch } = BROKER_CASES[brokerName];
    const runtime = await runtimeBinary(runtimeName);
    const queue = uniqueQueue("service");
    await using dir = await appDir("stomper-service-");
    await Deno.writeTextFile(
      `${dir.path}/worker.mjs`,
      await workerFromDocs(queue, prefetch),
    );

    const options = { heartBeat: [0, 0] as const };
    const checker: StompClient = await connectTo(url, options);
    try {
      const { done, stop } = await jobLedger(checker, queue, ALL_JOBS);

      const env = { STOMP_URL: withGuest(url) };
      const first = start(runtime, "worker.mjs", dir.path, env);
      await eventually(
        () => done.size >= BEFORE_SIGNAL,
        20_000,
        `${BEFORE_SIGNAL} jobs done by the first worker`,
      );
      const signalledAt = Date.now();
      first.child.kill(signal);
      const one = await exited(
        first,
        EXIT_WITHIN_MS + 5000,
        "the first worker",
      );
      assertEquals(one.code, 0, `first worker:\n${one.out}${one.err}`);
      assertEquals(one.err, "");
      assert(
        one.at - signalledAt < EXIT_WITHIN_MS,
        `the first worker exited ${one.at - signalledAt} ms after ${signal}`,
      );
      const byFirst = done.size;
      assert(byFirst < TOTAL, `the first worker did all ${byFirst} jobs`);

      const second = start(runtime, "worker.mjs", dir.path, env);
      await eventually(
        () => done.size >= TOTAL,
        30_000,
        `all ${TOTAL} jobs done`,
      );
      second.child.kill("SIGTERM");
      const two = await exited(
        second,
        EXIT_WITHIN_MS + 5000,
        "the second worker",
      );
      assertEquals(two.code, 0, `second worker:\n${two.out}${two.err}`);
      assertEquals(two.err, "");

      // A job done twice would show up by now: both workers have exited.
      await sleep(300);
      const twice = [...done].filter(([, n]) => n !== 1);
      assertEquals(twice, [], "jobs done more than once");
      for (let i = 0; i < TOTAL; i++) {
        assert(done.has(`job-${i}`), `job-${i} was not done`);
      }
      assertEquals(done.size, TOTAL);
      await stop();
    } finally {
      await checker.disconnect().catch(() => checker.close());
    }
  });
}

Deno.test("the worker of docs/runtimes.md under Node rides out a cut connection: the ack it cannot make is caught, it reconnects and goes on, every job done, and SIGTERM still ends it with code 0", async () => {
  const queue = uniqueQueue("service-cut");
  await using dir = await appDir("stomper-service-cut-");
  await Deno.writeTextFile(
    `${dir.path}/worker.mjs`,
    await workerFromDocs(queue, "prefetch-count"),
  );
  const broker = new URL(BROKERS.rabbitmqTcp);
  await using relay = ChaosRelay.start({ port: Number(broker.port) });
  const checker: StompClient = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [0, 0],
  });
  try {
    const { done, stop } = await jobLedger(checker, queue, ALL_JOBS);

    const worker = start(NODE, "worker.mjs", dir.path, {
      STOMP_URL: withGuest(relay.url),
    });
    await eventually(
      () => done.size >= BEFORE_SIGNAL,
      20_000,
      `${BEFORE_SIGNAL} jobs done before the cut`,
    );
    assertEquals(relay.cut(), 1);
    await eventually(() => done.size >= TOTAL, 30_000, `all ${TOTAL} done`);
    assertEquals(relay.connections, 2, "the worker reconnected once");
    worker.child.kill("SIGTERM");
    const result = await exited(worker, EXIT_WITHIN_MS, "the worker");
    assertEquals(result.code, 0, `${result.out}${result.err}`);
    // What it wrote: the acks it could not make, each caught.
    for (const line of result.err.trim().split("\n").filter(Boolean)) {
      assert(
        /it arrived on a connection that was lost/.test(line),
        `unexpected output: ${line}`,
      );
    }
    // At least once: a job whose ack was lost with the connection comes
    // again, at most a prefetch's worth (10) plus the one in hand.
    for (let i = 0; i < TOTAL; i++) {
      assert(done.has(`job-${i}`), `job-${i} was not done`);
    }
    const again = [...done.values()].reduce((sum, n) => sum + n - 1, 0);
    assert(again <= 11, `${again} jobs done twice`);
    await stop();
  } finally {
    await checker.disconnect().catch(() => checker.close());
  }
});

Deno.test("the worker of docs/runtimes.md under Node, its job outlasting the drain's timeout: it exits with code 1 at the timeout, without a trace of the job's own failure, and the job is done by the next worker", async () => {
  const queue = uniqueQueue("service-late");
  await using dir = await appDir("stomper-service-late-");
  const block = await workerFromDocs(queue, "prefetch-count");
  const work = "setTimeout(resolve, 20)";
  const drainTimeout = "timeout: 20_000";
  assert(block.includes(work) && block.includes(drainTimeout));
  await Deno.writeTextFile(
    `${dir.path}/worker.mjs`,
    block.replace(work, "setTimeout(resolve, Number(process.env.WORK_MS))")
      .replace(drainTimeout, "timeout: 500"),
  );
  const checker: StompClient = await connectTo(BROKERS.rabbitmqTcp, {
    heartBeat: [0, 0],
  });
  try {
    const jobs = ["job-0", "job-1", "job-2"];
    const { done, stop } = await jobLedger(checker, queue, jobs);
    const env = { STOMP_URL: withGuest(BROKERS.rabbitmqTcp) };

    // The first job takes 4 s; the signal comes 1.5 s after the start.
    const slow = start(NODE, "worker.mjs", dir.path, {
      ...env,
      WORK_MS: "4000",
    });
    await sleep(1500);
    const signalledAt = Date.now();
    slow.child.kill("SIGTERM");
    const result = await exited(slow, 10_000, "the slow worker");
    assertEquals(result.code, 1, `${result.out}${result.err}`);
    assert(
      result.at - signalledAt < 2000,
      `exited ${
        result.at - signalledAt
      } ms after SIGTERM (drain timeout 500 ms)`,
    );
    assert(/StompTimeoutError: Cannot drain/.test(result.err), result.err);
    assert(!/Cannot send/.test(result.err), result.err);
    assertEquals(done.size, 0);

    const next = start(NODE, "worker.mjs", dir.path, { ...env, WORK_MS: "20" });
    await eventually(() => done.size >= jobs.length, 20_000, "all jobs done");
    next.child.kill("SIGTERM");
    assertEquals(
      (await exited(next, EXIT_WITHIN_MS, "the next worker")).code,
      0,
    );
    await sleep(300);
    assertEquals([...done].sort(), jobs.map((job) => [job, 1]));
    await stop();
  } finally {
    await checker.disconnect().catch(() => checker.close());
  }
});

// Each script ends without process.exit(): it must exit because nothing of
// the client is left to keep it alive. It prints one line: what happened.
const EXIT_SCRIPTS: Record<string, string> = {
  "after disconnect()": `
const client = await StompClient.connectUrl(process.env.STOMP_URL);
await client.send("/queue/stomper-exit", "x", { receipt: true });
await client.disconnect();
console.log(client.state);`,
  "after close()": `
const client = await StompClient.connectUrl(process.env.STOMP_URL, { heartBeat: [500, 500] });
await new Promise((resolve) => setTimeout(resolve, 700));
client.close();
console.log(client.state);`,
  "after drain() of a consumer": `
const client = await StompClient.connectUrl(process.env.STOMP_URL);
const sub = await client.subscribe("/queue/stomper-exit-drain", { ack: "client-individual" });
const loop = (async () => { for await (const m of sub) await m.ack(); })();
await client.drain({ timeout: 5000 });
await loop;
console.log(client.state);`,
  "after a refused connection, with reconnect": `
await StompClient.connectUrl(process.env.REFUSED_URL, {
  reconnect: { retries: 2, initialDelay: 50 },
}).catch((error) => console.log(error.constructor.name));`,
  "after a refused login, with reconnect": `
const url = new URL(process.env.STOMP_URL);
url.password = "not-the-passcode";
await StompClient.connectUrl(url, { reconnect: true })
  .catch((error) => console.log(error.constructor.name));`,
  "after a server that never answered CONNECT": `
await StompClient.connectUrl(process.env.SILENT_URL, { connectTimeout: 300 })
  .catch((error) => console.log(error.constructor.name));`,
  "after a Buffer in caCerts": `
import { readFileSync } from "node:fs";
await StompClient.connectUrl(process.env.TLS_URL, {
  transport: { caCerts: [readFileSync(process.env.CA)] },
}).catch((error) => console.log(error.constructor.name + ": " + error.message));`,
};

const EXPECTED_LINES: Record<string, string> = {
  "after disconnect()": "closed",
  "after close()": "closed",
  "after drain() of a consumer": "closed",
  "after a refused connection, with reconnect": "StompConnectionError",
  "after a refused login, with reconnect": "StompServerError",
  "after a server that never answered CONNECT": "StompConnectionError",
  "after a Buffer in caCerts":
    'TypeError: Cannot connect over TCP: caCerts[0] must be a PEM string, got a Buffer (read the file as text: readFileSync(path, "utf8") in Node, Deno.readTextFileSync(path) in Deno)',
};

for (const runtimeName of ["Node", "Bun"]) {
  Deno.test(`StompClient under ${runtimeName} lets the process exit by itself once closed: after disconnect, close, drain, a refused connection, a refused login, a silent server, a refused caCerts`, async () => {
    const runtime = await runtimeBinary(runtimeName);
    await using dir = await appDir("stomper-exit-");
    // A port nothing listens on, and a server that accepts and never answers.
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const refusedPort = closed.addr.port;
    closed.close();
    using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of silent) held.push(conn);
    })().catch(() => {});
    const env = {
      STOMP_URL: withGuest(BROKERS.rabbitmqTcp),
      TLS_URL: withGuest(BROKERS.rabbitmqTls),
      CA: BROKERS.tlsCa,
      REFUSED_URL: `tcp://127.0.0.1:${refusedPort}`,
      SILENT_URL: `tcp://127.0.0.1:${silent.addr.port}`,
    };
    try {
      for (const [name, body] of Object.entries(EXIT_SCRIPTS)) {
        const file = `exit_${Object.keys(EXIT_SCRIPTS).indexOf(name)}.mjs`;
        await Deno.writeTextFile(
          `${dir.path}/${file}`,
          `import { StompClient } from "@stomper/stomp";\n${body}\n`,
        );
        const started = Date.now();
        const result = await exited(
          start(runtime, file, dir.path, env),
          10_000,
          `${runtimeName} ${name}`,
        );
        assertEquals(
          [result.code, result.out.trim()],
          [0, EXPECTED_LINES[name]],
          `${name}:\n${result.out}${result.err}`,
        );
        assert(
          result.at - started < 8000,
          `${name}: exited after ${result.at - started} ms`,
        );
      }
    } finally {
      silent.close();
      for (const conn of held) conn.close();
      await accepting;
    }
  });
}

Deno.test("examples/node.mjs piped into head -1 under Node and Bun: one line, exit 0, no EPIPE trace", async () => {
  await using dir = await appDir("stomper-example-pipe-");
  await Deno.copyFile(
    new URL("../../examples/node.mjs", import.meta.url),
    `${dir.path}/node.mjs`,
  );
  const bun = await installRuntime(BUN);
  for (const runtime of [NODE, bun]) {
    // PIPESTATUS[0]: the example's exit code, not head's.
    const run = await bash(
      `cd ${dir.path} && STOMP_URL=${BROKERS.rabbitmqTcp} ${runtime} node.mjs 2>err.txt | head -1; echo "exit \${PIPESTATUS[0]}"; cat err.txt`,
      20_000,
    );
    const lines = run.stdout.trim().split("\n");
    assertEquals(lines.length, 2, `${runtime}:\n${run.stdout}${run.stderr}`);
    assert(lines[0]!.startsWith("connected: STOMP 1.2"), lines[0]);
    assertEquals(lines[1], "exit 0", `${runtime}:\n${run.stdout}`);
  }
});
