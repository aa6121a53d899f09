// Option callbacks that throw (or reject) cannot end the process: each case
// of _hooks_script.ts runs as its own Deno process against the in-process
// test broker or a scripted server (for messages no subscription takes),
// must exit with status 0, and may write at most the one line the client
// writes when no onError takes the failure or onError itself throws.

import { assert, assertEquals } from "@std/assert";
import { type DenoRun, runDeno } from "./_client.ts";

interface Outcome {
  hooks: string[];
  callbackErrors?: number;
  failed?: number;
}

async function run(which: string): Promise<DenoRun & { outcome: Outcome }> {
  const result = await runDeno([
    "run",
    "--import-map=tests/offline/import_map.json",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "tests/integration/_hooks_script.ts",
    which,
  ]);
  assertEquals(
    result.code,
    0,
    `${which}: exit status ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
  const lines = result.stdout.trim().split("\n");
  return { ...result, outcome: JSON.parse(lines[lines.length - 1]!) };
}

function stderrLines(run: DenoRun): string[] {
  return run.stderr.split("\n").filter((line) => line.trim() !== "");
}

const ONE_LINE =
  "(the client goes on; later callback errors are only counted in stats.callbackErrors)";

Deno.test("StompClient trace that throws, without onError, leaves the process running and writes one line", async () => {
  const result = await run("trace");
  assertEquals(stderrLines(result), [
    `stomper: Callback trace threw: Broken hook ${ONE_LINE}`,
  ]);
  // CONNECT, CONNECTED, SEND, RECEIPT, DISCONNECT, RECEIPT at least.
  assert(result.outcome.callbackErrors! >= 6, result.stdout);
});

Deno.test("StompClient trace whose promise rejects is reported to onError, not as an unhandled rejection", async () => {
  const result = await run("trace-async");
  assertEquals(stderrLines(result), []);
  assert(result.outcome.hooks.length >= 6, result.stdout);
  assert(result.outcome.hooks.every((hook) => hook === "trace"));
  assertEquals(result.outcome.callbackErrors, result.outcome.hooks.length);
});

Deno.test("StompClient onStateChange that reads the client before connectUrl resolved is reported, and change.client is there", async () => {
  const result = await run("onStateChange-reads-client");
  assertEquals(stderrLines(result), []);
  assertEquals(result.outcome.hooks, ["onStateChange"]);
  assertEquals(result.outcome.callbackErrors, 1);
  const lines = result.stdout.trim().split("\n");
  // The first change threw after its first line; the later ones ran whole.
  assertEquals(JSON.parse(lines[0]!), [
    "connected connected",
    "disconnecting disconnecting",
    "disconnecting",
    "closed closed",
    "closed",
  ]);
});

Deno.test("StompClient onStateChange whose promise rejects is reported to onError", async () => {
  const result = await run("onStateChange-async");
  assertEquals(stderrLines(result), []);
  assertEquals(result.outcome.hooks, [
    "onStateChange",
    "onStateChange",
    "onStateChange",
  ]);
});

Deno.test("StompClient onUnhandledMessage that throws on a hostile body from a scripted server is reported and the connection goes on", async () => {
  const result = await run("onUnhandledMessage");
  assertEquals(stderrLines(result), []);
  assertEquals(result.outcome.hooks, [
    "onUnhandledMessage",
    "onUnhandledMessage",
    "onUnhandledMessage",
  ]);
  assertEquals(result.outcome.callbackErrors, 3);
});

Deno.test("StompClient onError that throws three times writes one line and the process goes on", async () => {
  const result = await run("onError");
  assertEquals(stderrLines(result), [
    `stomper: Callback onError threw: Broken hook ${ONE_LINE}`,
  ]);
  assertEquals(result.outcome.callbackErrors, 3);
});

Deno.test("StompClient onError whose promise rejects writes one line and the process goes on", async () => {
  const result = await run("onError-async");
  assertEquals(stderrLines(result), [
    `stomper: Callback onError threw: Broken hook ${ONE_LINE}`,
  ]);
  assertEquals(result.outcome.callbackErrors, 3);
});

Deno.test("StompClient reconnect.onFailedAttempt that throws is reported and the retries go on", async () => {
  const result = await run("onFailedAttempt");
  assertEquals(stderrLines(result), []);
  assertEquals(result.outcome.failed, 3);
  assertEquals(result.outcome.hooks, [
    "reconnect.onFailedAttempt",
    "reconnect.onFailedAttempt",
    "reconnect.onFailedAttempt",
  ]);
});

Deno.test("StompClient reconnect.random that throws is reported and the retries go on without jitter", async () => {
  const result = await run("random");
  assertEquals(stderrLines(result), []);
  assertEquals(result.outcome.hooks, ["reconnect.random", "reconnect.random"]);
});
