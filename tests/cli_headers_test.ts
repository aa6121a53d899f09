import { assertEquals } from "@std/assert";
import { runCli } from "../src/cli.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { cliIO } from "./_helpers.ts";

Deno.test("runCli --header takes name: value as --show-headers prints it, the spaces after the colon not part of the value", async () => {
  await using broker = StompTestBroker.listen();
  const send = cliIO();
  const status = await runCli([
    "send",
    broker.url,
    "/queue/headers",
    "hi",
    "--header",
    "persistent: true",
    "--header",
    "x-tabbed:\t two words ",
    "--header",
    "x-plain:as:is",
  ], send);
  assertEquals(status, 0, send.err.join("\n"));
  const sub = cliIO();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/headers",
      "--count",
      "1",
      "--json",
    ], sub),
    0,
    sub.err.join("\n"),
  );
  const headers = new Map<string, string>(JSON.parse(sub.out[0]!).headers);
  assertEquals(headers.get("persistent"), "true");
  assertEquals(headers.get("x-tabbed"), "two words ");
  assertEquals(headers.get("x-plain"), "as:is");
});
