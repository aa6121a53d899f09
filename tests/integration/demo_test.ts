// `deno task demo` as a user runs it (the offline variant of the task, which
// differs only by the import map): embedded with the in-process test broker,
// then against RabbitMQ (TCP, TLS, Web-STOMP) and ActiveMQ through STOMP_URL.
// Its output is checked line by line.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  BROKERS,
  type DenoRun,
  runDeno,
  START_HINT,
  withGuest,
} from "./_client.ts";

type Run = DenoRun;

function runDemo(env: Record<string, string>): Promise<Run> {
  return runDeno(["task", "-q", "demo:offline"], env);
}

/** Checks the ten steps; `nack` says what the broker does with a NACK. */
function checkSteps(
  run: Run,
  server: RegExp,
  nack: "redelivered" | "not redelivered",
): void {
  const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  if (
    run.code !== 0 &&
    /not reachable|Cannot open transport|Cannot connect to/.test(run.stderr)
  ) {
    throw new Error(
      `The demo could not reach its broker: ${START_HINT}\n${context}`,
    );
  }
  assertEquals(run.code, 0, context);
  const lines = run.stdout.trimEnd().split("\n");
  const expected: RegExp[] = [
    /^stomper demo: the STOMP client, step by step$/,
    /^broker: /,
    new RegExp(
      `^ 1\\. connect +connected: STOMP 1\\.2, server "${server.source}", heart-beats every 10000 ms out / 10000 ms in$`,
    ),
    /^ 2\. subscribe +\/queue\/stomper-demo-[0-9a-f]{8} \(ack: client-individual\) -> confirmed by RECEIPT$/,
    /^ 3\. send text +"Hello from stomper" -> confirmed by RECEIPT$/,
    /^ 4\. send binary +256 bytes \(0x00 to 0xff, NULs included\) -> confirmed by RECEIPT$/,
    /^ 5\. receive +text "Hello from stomper" -> ACK confirmed$/,
    /^ 6\. receive +binary 256 bytes, identical to those sent -> ACK confirmed$/,
    /^ 7\. commit +tx-1: sent "sent in a committed transaction", COMMIT confirmed$/,
    /^ +delivered after COMMIT: "sent in a committed transaction" -> ACK confirmed$/,
    /^ 8\. abort +tx-2: sent "sent in an aborted transaction", ABORT confirmed$/,
    /^ +nothing delivered within 500 ms, as it should be$/,
    /^ 9\. nack +received "please reject me" -> NACK confirmed$/,
    nack === "redelivered"
      ? /^ +redelivered \(redelivered: true\) -> ACK confirmed$/
      : /^ +not redelivered within 1500 ms \(this broker does not requeue NACKed messages\)$/,
    /^10\. disconnect +DISCONNECT done, client closed$/,
    /^done: every step passed$/,
  ];
  assertEquals(lines.length, expected.length, context);
  expected.forEach((pattern, i) => assertMatch(lines[i]!, pattern, context));
  assertEquals(run.stderr, "", context);
}

Deno.test("deno task demo runs against the in-process test broker with nothing set up", async () => {
  const run = await runDemo({ STOMP_URL: "" });
  checkSteps(run, /stomper-test-broker/, "redelivered");
  assertMatch(
    run.stdout,
    /^broker: the in-process test broker at tcp:\/\/127\.0\.0\.1:\d+ \(set STOMP_URL to use another\)$/m,
  );
});

Deno.test("deno task demo runs against RabbitMQ through STOMP_URL=tcp://guest:guest@…", async () => {
  const url = withGuest(BROKERS.rabbitmqTcp);
  const run = await runDemo({ STOMP_URL: url });
  checkSteps(run, /RabbitMQ\/[\d.]+/, "redelivered");
  // The password is not printed.
  assert(!run.stdout.includes("guest:guest"), run.stdout);
  assertMatch(run.stdout, /^broker: tcp:\/\/guest:\*\*\*@/m);
});

Deno.test("deno task demo runs against RabbitMQ over TLS with STOMP_CA", async () => {
  const run = await runDemo({
    STOMP_URL: withGuest(BROKERS.rabbitmqTls),
    STOMP_CA: BROKERS.tlsCa,
  });
  checkSteps(run, /RabbitMQ\/[\d.]+/, "redelivered");
});

Deno.test("deno task demo runs against RabbitMQ Web-STOMP", async () => {
  const run = await runDemo({ STOMP_URL: withGuest(BROKERS.rabbitmqWs) });
  checkSteps(run, /RabbitMQ\/[\d.]+/, "redelivered");
});

Deno.test("deno task demo says why a Web-STOMP endpoint in text frame mode refuses its binary step", async () => {
  const run = await runDemo({ STOMP_URL: withGuest(BROKERS.rabbitmqWsText) });
  assertEquals(run.code, 1, run.stdout + run.stderr);
  assertMatch(run.stdout, /^ 3\. send text /m);
  assertMatch(
    run.stderr,
    /^demo failed: The broker closed the WebSocket at the binary body \(Invalid UTF-8\): this Web-STOMP endpoint sends and takes text frames only \(RabbitMQ: web_stomp\.ws_frame = text\)/m,
  );
});

Deno.test("deno task demo runs against ActiveMQ, which does not requeue a NACKed message", async () => {
  const run = await runDemo({ STOMP_URL: withGuest(BROKERS.activemqTcp) });
  checkSteps(run, /ActiveMQ\/[\d.]+/, "not redelivered");
});

Deno.test("deno task demo exits with status 1 and says why when the broker refuses the login", async () => {
  const url = new URL(BROKERS.rabbitmqTcp);
  url.username = "guest";
  url.password = "wrong";
  const run = await runDemo({ STOMP_URL: url.href });
  assertEquals(run.code, 1, run.stdout + run.stderr);
  assertMatch(
    run.stderr,
    /^demo failed: Bad CONNECT: Access refused for user 'guest'$/m,
  );
});
