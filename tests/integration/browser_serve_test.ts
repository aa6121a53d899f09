// examples/browser/serve.ts as a user starts it, when the port it is told
// to use cannot be had: a clear sentence and an exit status, not a stack
// trace (and not after a minute of bundling).

import { assertEquals, assertMatch } from "@std/assert";
import { importMapArgs } from "./_bundle.ts";
import { within } from "../_helpers.ts";

async function serve(port: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await within(
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...importMapArgs(), "-A", "examples/browser/serve.ts"],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { PORT: port, NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output(),
    60_000,
    "serve.ts to exit",
  );
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("examples/browser/serve.ts says the port is in use, and exits 1 without bundling", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;
  const started = Date.now();
  const { code, stderr } = await serve(String(port));
  assertEquals(code, 1, stderr);
  assertEquals(
    stderr.trim(),
    `Cannot serve on 127.0.0.1:${port}: the port is in use; pick another with PORT (0 for any free one)`,
  );
  // It did not bundle first (that takes seconds).
  assertEquals(Date.now() - started < 5_000, true);
});

Deno.test("examples/browser/serve.ts refuses a PORT that is not a port number, exit 2", async () => {
  for (const port of ["abc", "-1", "70000", "80.5"]) {
    const { code, stderr } = await serve(port);
    assertEquals(code, 2, stderr);
    assertMatch(
      stderr.trim(),
      new RegExp(
        `^Cannot serve: PORT must be a port number from 0 to 65535 \\(0 for any free one\\), got "${port}"$`,
      ),
    );
  }
});
