// The stomper command-line tool in its own process against RabbitMQ, with
// its credentials outside the command line: STOMP_LOGIN, STOMP_PASSCODE,
// --passcode-file; and a TLS certificate it cannot verify, which it must
// explain in its own words (--ca, STOMP_CA).

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  BROKERS,
  cliArgs,
  type DenoRun,
  runDeno,
  START_HINT,
  withGuest,
} from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

function cli(env: Record<string, string>, ...args: string[]): Promise<DenoRun> {
  return runDeno(cliArgs(...args), env, 30000);
}

Deno.test("stomper cli logs in with STOMP_LOGIN and STOMP_PASSCODE, or --passcode-file, when the URL has no credentials", async () => {
  const queue = uniqueQueue("cli-env-credentials");
  const bare = BROKERS.rabbitmqTcp;
  const sent = await cli(
    { STOMP_LOGIN: "guest", STOMP_PASSCODE: "guest" },
    "send",
    bare,
    queue,
    "from the environment",
  );
  assertEquals(sent.code, 0, `${sent.stderr}\n${START_HINT}`);
  const file = await Deno.makeTempFile({ prefix: "stomper-passcode-" });
  try {
    await Deno.writeTextFile(file, "guest\n");
    // The file wins over a wrong STOMP_PASSCODE.
    const got = await cli(
      { STOMP_LOGIN: "guest", STOMP_PASSCODE: "wrong" },
      "subscribe",
      bare,
      queue,
      "--count",
      "1",
      "--passcode-file",
      file,
    );
    assertEquals(got.code, 0, got.stderr);
    assertEquals(got.stdout, "from the environment\n");
  } finally {
    await Deno.remove(file);
  }
  // A wrong passcode from the environment is refused, and never printed.
  const refused = await cli(
    { STOMP_LOGIN: "guest", STOMP_PASSCODE: "Wr0ng/pass@word" },
    "send",
    bare,
    queue,
    "x",
    "--trace",
  );
  assertEquals(refused.code, 1, refused.stderr);
  assertMatch(refused.stderr, /Access refused/);
  assert(!refused.stderr.includes("Wr0ng"), refused.stderr);
  assert(!refused.stderr.includes("pass@word"), refused.stderr);
});

Deno.test("stomper cli names --ca and STOMP_CA when RabbitMQ's TLS certificate does not verify", async () => {
  const url = withGuest(BROKERS.rabbitmqTls);
  const untrusted = await cli({}, "send", url, uniqueQueue("cli-tls"), "x");
  assertEquals(untrusted.code, 1, untrusted.stderr);
  assertMatch(
    untrusted.stderr,
    /^stomper: .*certificate.*with --ca FILE or the STOMP_CA environment variable\n$/,
  );
  assert(!untrusted.stderr.includes("caCerts"), untrusted.stderr);
  const wrong = await cli(
    { STOMP_CA: BROKERS.tlsWrongCa },
    "send",
    url,
    uniqueQueue("cli-tls"),
    "x",
  );
  assertEquals(wrong.code, 1, wrong.stderr);
  assertMatch(
    wrong.stderr,
    /check that the --ca file \(or STOMP_CA\) is the certificate authority/,
  );
});
