import { assertEquals } from "@std/assert";
import { runCli } from "../src/cli.ts";
import { StompClient } from "../src/client/client.ts";
import { StompTestBroker } from "../src/testing/mod.ts";
import { cliIO } from "./_helpers.ts";

Deno.test("runCli subscribe --show-headers writes one line per header, a line break, CR or backslash in it escaped as STOMP 1.2 does", async () => {
  await using broker = StompTestBroker.listen();
  {
    await using client = await StompClient.connectUrl(broker.url);
    await client.send("/queue/shown", "body", {
      receipt: true,
      headers: {
        "x-forged": "a\ndestination: /queue/fake\n\nFAKE BODY",
        "x-cr": "b\rc",
        "x-path": "C:\\temp",
        "x:colon": "v:w",
      },
    });
  }
  const sub = cliIO();
  assertEquals(
    await runCli([
      "subscribe",
      broker.url,
      "/queue/shown",
      "--count",
      "1",
      "--show-headers",
    ], sub),
    0,
    sub.err.join("\n"),
  );
  const blank = sub.out.indexOf("");
  const headers = sub.out.slice(0, blank);
  assertEquals(sub.out.slice(blank + 1), ["body"]);
  assertEquals(
    headers.filter((line) => line.startsWith("destination: ")),
    ["destination: /queue/shown"],
  );
  for (
    const line of [
      "x-forged: a\\ndestination: /queue/fake\\n\\nFAKE BODY",
      "x-cr: b\\rc",
      "x-path: C:\\\\temp",
      "x\\ccolon: v:w",
    ]
  ) {
    assertEquals(headers.includes(line), true, `${line} in ${headers}`);
  }
  assertEquals(headers.every((line) => !/[\r\n]/.test(line)), true);
});
