// A service that runs out of file descriptors (a leak elsewhere in the
// process, or `ulimit -n` set low by its supervisor): the connect error must
// say so, in Deno and in Node. Each child runs under `ulimit -n 64`, connects
// to RabbitMQ once (the broker takes it), then opens /dev/null until the
// limit is reached and connects again.

import { assert, assertEquals } from "@std/assert";
import { importMapArgs } from "./_bundle.ts";
import { writeLibraryPackage } from "./_npm_runtime.ts";
import { assertReachable, BROKERS } from "./_codec_session.ts";

const CHILD = `
import { openSync } from "node:fs";
import process from "node:process";
import { StompClient } from "@stomper/stomp";

const url = process.env.STOMP_URL;
const options = { login: "guest", passcode: "guest" };
const first = await StompClient.connectUrl(url, options);
await first.disconnect();
const files = [];
try {
  for (;;) files.push(openSync("/dev/null", "r"));
} catch {
  // The limit is reached.
}
let outcome;
try {
  const client = await StompClient.connectUrl(url, options);
  outcome = { connected: true };
  await client.close();
} catch (error) {
  outcome = {
    files: files.length,
    name: error.name,
    message: error.message,
    cause: error.cause?.name,
  };
}
console.log(JSON.stringify(outcome));
process.exit(0);
`;

interface Outcome {
  files: number;
  name: string;
  message: string;
  cause: string;
}

/** Runs `command` under `ulimit -n 64`; returns what it printed. */
async function underLimit(command: string, cwd: string): Promise<Outcome> {
  const output = await new Deno.Command("/bin/sh", {
    args: ["-c", `ulimit -n 64 && exec ${command}`],
    cwd,
    env: { STOMP_URL: BROKERS.rabbitmqTcp },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  assertEquals(output.code, 0, `${command} failed:\n${stdout}${stderr}`);
  return JSON.parse(stdout) as Outcome;
}

function assertSaysLimit(outcome: Outcome, words: string): void {
  assertEquals(outcome.name, "StompConnectionError", JSON.stringify(outcome));
  assertEquals(outcome.cause, "TransportConnectError");
  const { message } = outcome;
  assert(
    message.startsWith(`Cannot connect to "${BROKERS.rabbitmqTcp}": ${words}`),
    message,
  );
  assert(
    message.endsWith(
      "; the process has as many files and sockets open as its limit allows (ulimit -n)",
    ),
    message,
  );
}

Deno.test("connectTcp at the process's file limit says to look at ulimit -n (Deno, RabbitMQ)", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const dir = await Deno.makeTempDir({ prefix: "stomper-fd-" });
  try {
    await Deno.writeTextFile(`${dir}/main.mjs`, CHILD);
    const outcome = await underLimit(
      [
        Deno.execPath(),
        "run",
        ...importMapArgs(),
        "--allow-net",
        "--allow-read",
        "--allow-env",
        "main.mjs",
      ].join(" "),
      dir,
    );
    assertSaysLimit(outcome, "Too many open files (os error 24)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectNodeTcp at the process's file limit says to look at ulimit -n (Node, RabbitMQ)", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const dir = await Deno.makeTempDir({ prefix: "stomper-fd-node-" });
  try {
    await writeLibraryPackage(dir);
    await Deno.writeTextFile(`${dir}/main.mjs`, CHILD);
    const outcome = await underLimit("/usr/bin/node main.mjs", dir);
    // Node said "connect EMFILE 127.0.0.1:61613 - Local (undefined:undefined)".
    assertSaysLimit(outcome, "too many open files (EMFILE)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
