// StompTestBroker under Node, as a Node user of the package would try it in
// their tests: it listens with Deno.listen, so it cannot run there, and it
// must say so and what to do instead (it threw "ReferenceError: Deno is not
// defined").

import { assertEquals } from "@std/assert";
import { bundle } from "./_bundle.ts";

Deno.test("StompTestBroker.listen under Node says it needs Deno and what to do instead", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stomper-testing-node-" });
  try {
    await bundle("src/testing/mod.ts", `${dir}/testing.mjs`);
    await Deno.writeTextFile(
      `${dir}/main.mjs`,
      `import { StompTestBroker } from "./testing.mjs";
try {
  StompTestBroker.listen();
  console.log("listening");
} catch (error) {
  console.log(JSON.stringify([error.name, error.message]));
}
`,
    );
    const output = await new Deno.Command("/usr/bin/node", {
      args: [`${dir}/main.mjs`],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const text = new TextDecoder();
    assertEquals(output.code, 0, text.decode(output.stderr));
    assertEquals(JSON.parse(text.decode(output.stdout)), [
      "TypeError",
      "Cannot start test broker: it runs on Deno only (it listens with Deno.listen), and this runtime has no Deno; under Node or Bun, start it in a Deno process (deno run) and connect to its url, or test against a broker of your own",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
