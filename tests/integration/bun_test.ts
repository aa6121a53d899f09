// The library under Bun (installed from npm into a cache on first use, see
// _npm_runtime.ts) against RabbitMQ: the codec on its own, then the client
// over connectUrl's tcp://, tls:// and ws:// (node:net, node:tls and Bun's
// own WebSocket) and over transports from openTransport. Bun imports
// `@stomper/stomp` from a package that `deno bundle` builds into a temporary
// directory, as Node does in node_test.ts; the scenario is the shared one of
// _runtime_scenario.ts, whose TypeScript Bun runs as it is.

import { assertEquals } from "@std/assert";
import * as stomp from "../../mod.ts";
import { assertReachable, BROKERS, readPem } from "./_codec_session.ts";
import { BUN, installRuntime, writeLibraryPackage } from "./_npm_runtime.ts";
import { codecRoundTrip, expectedClientReport } from "./_runtime_scenario.ts";

const SCENARIO = new URL("./_runtime_scenario.ts", import.meta.url).pathname;

// Prints one JSON line per check: [name, report].
const SCRIPT = `
import * as stomp from "@stomper/stomp";
import { clientScenario, codecRoundTrip } from ${JSON.stringify(SCENARIO)};

const report = (name, value) => console.log(JSON.stringify([name, value]));
const runtime = "Bun " + Bun.version;
const env = process.env;
report("runtime", runtime);
report("codec", await codecRoundTrip(stomp));
const tls = { caCerts: [env.STOMP_CA_PEM] };
const sessions = [
  ["connectUrl tcp://", { open: env.STOMP_TCP }],
  ["connectUrl tls://", { open: env.STOMP_TLS, transport: tls }],
  ["connectUrl ws://", { open: env.STOMP_WS }],
  ["openTransport tcp://", { open: () => stomp.openTransport(env.STOMP_TCP) }],
  ["openTransport tls://", { open: () => stomp.openTransport(env.STOMP_TLS, tls) }],
  ["openTransport ws://", { open: () => stomp.openTransport(env.STOMP_WS) }],
];
for (const [name, options] of sessions) {
  report(name, await clientScenario(stomp, { ...options, runtime }));
}
`;

Deno.test("the codec and StompClient run under Bun against RabbitMQ over tcp://, tls:// and ws://", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await assertReachable(BROKERS.rabbitmqTls, "RabbitMQ over TLS");
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  const bun = await installRuntime(BUN);
  const dir = await Deno.makeTempDir({ prefix: "stomper-bun-" });
  try {
    await writeLibraryPackage(dir);
    await Deno.writeTextFile(`${dir}/main.ts`, SCRIPT);
    const output = await new Deno.Command(bun, {
      args: ["run", `${dir}/main.ts`],
      cwd: dir,
      env: {
        STOMP_TCP: BROKERS.rabbitmqTcp,
        STOMP_TLS: BROKERS.rabbitmqTls,
        STOMP_WS: BROKERS.rabbitmqWs,
        STOMP_CA_PEM: await readPem(BROKERS.tlsCa),
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const decoder = new TextDecoder();
    const stdout = decoder.decode(output.stdout);
    const stderr = decoder.decode(output.stderr);
    assertEquals(output.code, 0, `bun failed:\n${stdout}${stderr}`);
    assertEquals(stderr, "");
    const results: [string, unknown][] = stdout.trim().split("\n").map((
      line,
    ) => JSON.parse(line));
    const runtime = `Bun ${BUN.version}`;
    // The codec gives in Bun what it gives in Deno, and all ways agree.
    const inDeno = await codecRoundTrip(stomp);
    assertEquals(inDeno.agree, true);
    assertEquals(inDeno.frames.length, 3);
    assertEquals(inDeno.heartbeats, 1);
    assertEquals(results, [
      ["runtime", runtime],
      ["codec", inDeno],
      ["connectUrl tcp://", expectedClientReport(runtime, "unknown")],
      ["connectUrl tls://", expectedClientReport(runtime, "unknown")],
      ["connectUrl ws://", expectedClientReport(runtime, "unknown")],
      ["openTransport tcp://", expectedClientReport(runtime, true)],
      ["openTransport tls://", expectedClientReport(runtime, true)],
      ["openTransport ws://", expectedClientReport(runtime, false)],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
