// The library under Node 20+: examples/node.mjs, run by /usr/bin/node against
// RabbitMQ, imports `@stomper/stomp` from a package that `deno bundle` builds
// into a temporary directory (Node cannot import the TypeScript sources).

import { assertEquals, assertMatch } from "@std/assert";
import { bundle } from "./_bundle.ts";
import { BROKERS, START_HINT } from "./_codec_session.ts";

const NODE = "/usr/bin/node";

Deno.test("examples/node.mjs runs under Node against RabbitMQ over node:net", async () => {
  const { hostname, port } = new URL(BROKERS.rabbitmqTcp);
  try {
    (await Deno.connect({ hostname, port: Number(port) })).close();
  } catch (error) {
    throw new Error(
      `RabbitMQ at ${BROKERS.rabbitmqTcp} is not reachable (${
        (error as Error).message
      }): ${START_HINT}`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "stomper-node-" });
  try {
    // A package that Node resolves for `import ... from "@stomper/stomp"`.
    const pkg = `${dir}/node_modules/@stomper/stomp`;
    await Deno.mkdir(pkg, { recursive: true });
    await bundle("mod.ts", `${pkg}/mod.js`);
    await Deno.writeTextFile(
      `${pkg}/package.json`,
      JSON.stringify({
        name: "@stomper/stomp",
        type: "module",
        exports: "./mod.js",
      }),
    );
    await Deno.copyFile(
      new URL("../../examples/node.mjs", import.meta.url),
      `${dir}/node.mjs`,
    );

    const output = await new Deno.Command(NODE, {
      args: [`${dir}/node.mjs`],
      env: { STOMP_URL: BROKERS.rabbitmqTcp },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, `node failed:\n${stdout}${stderr}`);
    const lines = stdout.trim().split("\n");
    assertEquals(lines.length, 3, stdout);
    assertMatch(lines[0]!, /^connected: STOMP 1\.2 \(RabbitMQ\/[\d.]+\)$/);
    assertMatch(lines[1]!, /^received: hello from Node v2\d+\.\d+\.\d+$/);
    assertEquals(lines[2], "disconnected: receipt bye");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
