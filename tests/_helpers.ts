// Helpers every test may use: waits that always end, seeded randomness that
// can be replayed, destination names no other test shares, and a CLI IO that
// keeps what it prints, the error a promise or a connect rejects with, and
// what a bash script or a deno subprocess fed standard input did.

import { assertInstanceOf } from "@std/assert";
import type { CliIO } from "../src/cli.ts";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";

/**
 * Resolves after `ms` milliseconds.
 *
 * @example Waiting a moment
 * ```ts
 * import { sleep } from "./_helpers.ts";
 * import { assertGreaterOrEqual } from "@std/assert";
 *
 * const start = performance.now();
 * await sleep(20);
 * assertGreaterOrEqual(performance.now() - start, 15);
 * ```
 *
 * @param ms Milliseconds to wait.
 * @returns A promise that resolves once they have passed.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `condition` holds, looking every 5 ms; fails after `timeout`.
 *
 * @example Waiting for a flag
 * ```ts
 * import { eventually } from "./_helpers.ts";
 * import { assertRejects } from "@std/assert";
 *
 * let done = false;
 * setTimeout(() => done = true, 10);
 * await eventually(() => done);
 * await assertRejects(
 *   () => eventually(() => false, 20, "nothing"),
 *   Error,
 *   "nothing not met within 20 ms",
 * );
 * ```
 *
 * @param condition Looked at until it returns true.
 * @param timeout Milliseconds to wait at most.
 * @param what What is awaited, for the error message.
 * @returns A promise that resolves once `condition` holds.
 */
export async function eventually(
  condition: () => boolean,
  timeout = 2000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} not met within ${timeout} ms`);
    }
    await sleep(5);
  }
}

/**
 * Settles like `promise`, or rejects after `ms` milliseconds.
 *
 * @example A promise that never settles
 * ```ts
 * import { within } from "./_helpers.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * assertEquals(await within(Promise.resolve(1), 100, "one"), 1);
 * await assertRejects(
 *   () => within(new Promise(() => {}), 10, "never"),
 *   Error,
 *   "never: not settled within 10 ms",
 * );
 * ```
 *
 * @param promise The promise to wait for.
 * @param ms Milliseconds to wait at most.
 * @param what What is awaited, for the error message.
 * @returns What `promise` resolves to.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: not settled within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A seeded 32-bit PRNG (mulberry32): small, fast, and the same numbers on
 * every machine, so a failure or a benchmark input can be replayed.
 *
 * @example The same seed, the same numbers
 * ```ts
 * import { prngUint32 } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = prngUint32(7);
 * const b = prngUint32(7);
 * assertEquals([a(), a()], [b(), b()]);
 * ```
 *
 * @param seed Any number; only its low 32 bits count.
 * @returns A function giving integers from 0 to 2^32 - 1.
 */
export function prngUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * {@linkcode prngUint32} scaled to numbers from 0 up to (not including) 1,
 * like `Math.random`.
 *
 * @example Numbers in [0, 1)
 * ```ts
 * import { prng } from "./_helpers.ts";
 * import { assert } from "@std/assert";
 *
 * const random = prng(42);
 * for (let i = 0; i < 100; i++) {
 *   const x = random();
 *   assert(x >= 0 && x < 1);
 * }
 * ```
 *
 * @param seed Any number; only its low 32 bits count.
 * @returns A function giving numbers in [0, 1).
 */
export function prng(seed: number): () => number {
  const next = prngUint32(seed);
  return () => next() / 4294967296;
}

/**
 * `length` random bytes (from `crypto.getRandomValues`, which fills at most
 * 64 KiB a call).
 *
 * @example A megabyte of noise
 * ```ts
 * import { randomBytes } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(randomBytes(1 << 20).length, 1 << 20);
 * ```
 *
 * @param length How many bytes.
 * @returns The bytes.
 */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, Math.min(length, i + 65536)));
  }
  return bytes;
}

/**
 * A queue name no other test uses: `/queue/stomper-<label>-<uuid>`.
 *
 * @example Two calls, two queues
 * ```ts
 * import { uniqueQueue } from "./_helpers.ts";
 * import { assertMatch, assertNotEquals } from "@std/assert";
 *
 * assertMatch(uniqueQueue("orders"), /^\/queue\/stomper-orders-[0-9a-f-]{36}$/);
 * assertNotEquals(uniqueQueue("orders"), uniqueQueue("orders"));
 * ```
 *
 * @param label Says which test the queue belongs to.
 * @returns The destination.
 */
export function uniqueQueue(label = "q"): string {
  return `/queue/stomper-${label}-${crypto.randomUUID()}`;
}

/**
 * A topic name no other test uses: `/topic/stomper-<label>-<uuid>`.
 *
 * @example A topic of its own
 * ```ts
 * import { uniqueTopic } from "./_helpers.ts";
 * import { assertMatch } from "@std/assert";
 *
 * assertMatch(uniqueTopic("news"), /^\/topic\/stomper-news-[0-9a-f-]{36}$/);
 * ```
 *
 * @param label Says which test the topic belongs to.
 * @returns The destination.
 */
export function uniqueTopic(label = "t"): string {
  return `/topic/stomper-${label}-${crypto.randomUUID()}`;
}

/**
 * A `CliIO` that keeps what the CLI prints: standard output lines in `out`,
 * standard error lines in `err`, and `stdin`, when given, as standard input.
 *
 * @example Keeping the printed lines
 * ```ts
 * import { cliIO } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const io = cliIO(new TextEncoder().encode("body"));
 * io.print("sent");
 * io.error("Cannot send: \"x\"");
 * assertEquals(io.out, ["sent"]);
 * assertEquals(io.err, ["Cannot send: \"x\""]);
 * assertEquals(new TextDecoder().decode(await io.readStdin!()), "body");
 * ```
 *
 * @param stdin What `readStdin` resolves to; without it there is no `readStdin`.
 * @returns The IO, with the `out` and `err` arrays it fills.
 */
export function cliIO(
  stdin?: Uint8Array,
): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    print: (line) => out.push(line),
    error: (line) => err.push(line),
    ...(stdin ? { readStdin: () => Promise.resolve(stdin) } : {}),
  };
}

/**
 * The error `promise` rejects with; fails if it resolves.
 *
 * @example The reason of a rejection
 * ```ts
 * import { failure } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = await failure(Promise.reject(new Error("Cannot go: \"x\"")));
 * assertEquals(error.message, "Cannot go: \"x\"");
 * ```
 *
 * @param promise A promise that should reject with an `Error`.
 * @returns What it rejected with.
 */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  assertInstanceOf(error, Error);
  return error;
}

/**
 * Connects with `tcp://` to `listener`'s port while `serve` answers the one
 * connection it accepts, then closes the listener and returns the
 * `StompConnectionError` the connect rejected with (fails on another
 * outcome).
 *
 * @example A port that answers with HTTP
 * ```ts
 * import { connectFailure } from "./_helpers.ts";
 * import { assert } from "@std/assert";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { error } = await connectFailure(listener, async (conn) => {
 *   await conn.read(new Uint8Array(1024));
 *   await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
 *   conn.close();
 * });
 * assert(error.message.includes("the port speaks HTTP"), error.message);
 * ```
 *
 * @param listener Listens on 127.0.0.1; it is closed on return.
 * @param serve What the server does with the connection.
 * @returns The error and the port it names.
 */
export async function connectFailure<C extends Deno.Conn>(
  listener: Deno.Listener<C, Deno.NetAddr>,
  serve: (conn: C) => Promise<void>,
): Promise<{ error: StompConnectionError; port: number }> {
  const served = (async () => serve(await listener.accept()))();
  const port = listener.addr.port;
  const error = await failure(
    StompClient.connectUrl(`tcp://127.0.0.1:${port}`, { connectTimeout: 5000 }),
  );
  listener.close();
  await served;
  assertInstanceOf(error, StompConnectionError);
  return { error, port };
}

/**
 * Runs `command` with `args` in the project root, without colours (`env`
 * added), and gives its exit status and output; it is killed after
 * `timeoutMs`.
 *
 * @example A command's outcome
 * ```ts ignore
 * import { runCommand } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const run = await runCommand("bash", ["-c", "echo $NO_COLOR$X; exit 3"], {
 *   env: { X: "y" },
 * });
 * assertEquals([run.code, run.stdout, run.stderr], [3, "1y\n", ""]);
 * ```
 *
 * @param command The program.
 * @param args Its arguments.
 * @param options Variables added to its environment, and how long it may run.
 * @returns Its exit status, standard output and error.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: new URL("../", import.meta.url).pathname,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/**
 * Runs a bash script in the project root, without colours, and gives its
 * status, output and time; it is killed after `timeoutMs`.
 *
 * @example A script's outcome
 * ```ts ignore
 * import { bash } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const run = await bash("echo out; echo err >&2; exit 3");
 * assertEquals([run.code, run.stdout, run.stderr], [3, "out\n", "err\n"]);
 * ```
 *
 * @param script The script, for `bash -c`.
 * @param timeoutMs How long it may run.
 * @returns Its exit status, standard output and error, and milliseconds taken.
 */
export async function bash(
  script: string,
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const start = performance.now();
  const run = await runCommand("bash", ["-c", script], { timeoutMs });
  return { ...run, ms: Math.round(performance.now() - start) };
}

/**
 * Runs `deno <args>` in the project root, without colours, writing `stdin`
 * to its standard input; it is killed after `timeoutMs`.
 *
 * @example Standard input through a subprocess
 * ```ts ignore
 * import { denoWithStdin } from "./_helpers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const run = await denoWithStdin(
 *   ["eval", "await Deno.stdin.readable.pipeTo(Deno.stdout.writable)"],
 *   new Uint8Array([0, 1, 255]),
 * );
 * assertEquals([run.code, run.stdout, run.stderr], [0, new Uint8Array([0, 1, 255]), ""]);
 * ```
 *
 * @param args The arguments after `deno`.
 * @param stdin What it reads on standard input (then end of file).
 * @param timeoutMs How long it may run.
 * @returns Its exit status, standard output as bytes and error as text.
 */
export async function denoWithStdin(
  args: string[],
  stdin: Uint8Array,
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(stdin);
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}
