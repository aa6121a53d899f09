// The code blocks of docs/codec.md that talk to a broker, run as a user runs
// them: each block as a `deno run` process against RabbitMQ over TCP, with
// only its queue (and file) names swapped for ones of this test.

import { assert, assertEquals } from "@std/assert";
import { BROKERS, connectTo } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";
import { uniqueQueue, within } from "../_helpers.ts";

/** The first ```ts block after `heading` in docs/codec.md. */
async function block(heading: string): Promise<string> {
  const doc = await Deno.readTextFile(
    new URL("../../docs/codec.md", import.meta.url),
  );
  const at = doc.indexOf(heading);
  assert(at !== -1, `docs/codec.md has "${heading}"`);
  const code = /```ts\n([\s\S]*?)```/.exec(doc.slice(at))?.[1];
  assert(code !== undefined, `a code block after "${heading}"`);
  return code;
}

/** Runs `code` as a script; its output, once it exits (within 20 s). */
async function run(code: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "stomper-codec-docs-" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, code);
    const output = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--import-map=tests/offline/import_map.json",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        `${dir}/main.ts`,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const { code: status, stdout, stderr } = await within(
      output,
      20_000,
      "the code block's process",
    );
    const text = new TextDecoder().decode(stdout);
    assertEquals(status, 0, `${text}${new TextDecoder().decode(stderr)}`);
    return text;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("docs/codec.md: the quick start over Deno.connect gets CONNECTED, then its own MESSAGE, from RabbitMQ", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const queue = uniqueQueue("codec-docs");
  const code = (await block("## Quick start: the codec over"))
    .replaceAll(`"/queue/demo"`, JSON.stringify(queue));
  const lines = (await run(code)).trim().split("\n");
  assertEquals(lines, ["CONNECTED undefined ", `MESSAGE ${queue} hello`]);
});

Deno.test("docs/codec.md: the bodyChunks block writes the body of a message from RabbitMQ to its file", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const queue = uniqueQueue("codec-docs-chunks");
  const body = new Uint8Array(1 << 20).map((_, i) => i % 251);
  {
    await using client = await connectTo(BROKERS.rabbitmqTcp);
    await client.send(queue, body, { receipt: true });
  }
  const dir = await Deno.makeTempDir({ prefix: "stomper-codec-docs-file-" });
  try {
    const file = `${dir}/bodies.bin`;
    const code = (await block("### Large bodies without a copy"))
      .replaceAll(`"/queue/files"`, JSON.stringify(queue))
      .replaceAll(`"bodies.bin"`, JSON.stringify(file));
    const output = await run(code);
    assert(
      output.includes(`MESSAGE ${body.length} bytes`),
      `the block's output: ${output}`,
    );
    assertEquals(await Deno.readFile(file), body);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
