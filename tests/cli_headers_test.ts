import { assertEquals } from "@std/assert";
import { type CliIO, runCli } from "../src/cli.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

function io(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    print: (line) => out.push(line),
    error: (line) => err.push(line),
  };
}

Deno.test("runCli --header takes name: value as --show-headers prints it, the spaces after the colon not part of the value", async () => {
  await using broker = StompTestBroker.listen();
  const send = io();
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
  const sub = io();
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
