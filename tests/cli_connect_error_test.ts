// What the CLI prints when it cannot connect: the transport's reason, said
// once (it printed "Cannot open transport: Cannot connect to ...").

import { assert, assertEquals } from "@std/assert";
import { type CliIO, runCli } from "../src/cli.ts";

Deno.test("runCli prints a refused connection's reason once, without a doubled prefix", async () => {
  // A port of 127.0.0.1 that nobody listens on (it was free a moment ago).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `tcp://127.0.0.1:${listener.addr.port}`;
  listener.close();
  const err: string[] = [];
  const io: CliIO = { print: () => {}, error: (line) => err.push(line) };
  assertEquals(await runCli(["send", url, "/queue/a", "hi"], io), 1);
  assertEquals(err.length, 1, err.join("\n"));
  assert(
    err[0]!.startsWith(
      `stomper: Cannot connect to "${url}": Connection refused`,
    ),
    err[0],
  );
});
