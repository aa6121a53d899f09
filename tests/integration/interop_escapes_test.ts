// stomp.py and ruby-stomp send a message through StompTestBroker with
// headers that hold the characters each STOMP version escapes differently
// (`:` and `\` in 1.0; also LF and CR in 1.1 and 1.2, which both clients
// write as `\r` under 1.1 too) and a binary body with NUL in it. The broker
// must read exactly what the client meant (its onFrame sees the SEND) and
// the client must get it back unchanged.

import { assertEquals } from "@std/assert";
import type { StompFrame } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";
import { uniqueQueue } from "../_helpers.ts";

const FOREIGN = new URL("./foreign/", import.meta.url);
const BODY = new Uint8Array([0x62, 0, 0x01, 0xff, 0, 0x0a]);

function headersFor(version: string): Record<string, string> {
  const all: Record<string, string> = {
    "x-colon": "a:b",
    "x-backslash": "c\\d",
  };
  // STOMP 1.0 has no escapes: a line break cannot be carried at all.
  if (version !== "1.0") {
    all["x-lf"] = "e\nf";
    all["x-cr"] = "g\rh";
  }
  return all;
}

const CLIENTS = [
  ["stomp.py", "/usr/bin/python3", "escapes_stomppy.py", "python3-stomp"],
  ["ruby-stomp", "/usr/bin/ruby", "escapes_ruby.rb", "ruby-stomp"],
] as const;

for (const [name, command, script, pkg] of CLIENTS) {
  for (const version of ["1.0", "1.1", "1.2"]) {
    Deno.test(`StompTestBroker carries ${name}'s escaped headers and a binary body both ways, STOMP ${version}`, async () => {
      const sends: StompFrame[] = [];
      await using broker = StompTestBroker.listen({
        login: "guest",
        passcode: "guest",
        onFrame: (frame) => {
          if (frame.command === "SEND") sends.push(frame);
        },
      });
      const headers = headersFor(version);
      const output = await new Deno.Command(command, {
        args: [
          new URL(script, FOREIGN).pathname,
          JSON.stringify({
            host: broker.hostname,
            port: broker.port,
            login: "guest",
            passcode: "guest",
            version,
            queue: uniqueQueue(`escapes-${name}`),
            headers,
            body: btoa(String.fromCharCode(...BODY)),
          }),
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output().catch((error) => {
        throw new Error(
          `Cannot run ${name}: ${error.message}; install it with "apt-get install -y ${pkg}" or "bash scripts/brokers.sh install" (as root)`,
        );
      });
      const text = new TextDecoder();
      assertEquals(
        output.code,
        0,
        `${name} failed:\n${text.decode(output.stderr)}${
          text.decode(output.stdout)
        }`,
      );
      const result = JSON.parse(
        text.decode(output.stdout).trim().split("\n").at(-1)!,
      );
      // What the broker read.
      assertEquals(sends.length, 1);
      for (const [header, value] of Object.entries(headers)) {
        assertEquals(sends[0]!.headers.get(header), value, header);
      }
      assertEquals(sends[0]!.body, BODY);
      // What the client got back.
      assertEquals(result.headers, headers);
      assertEquals(
        Uint8Array.from(atob(result.body), (c) => c.charCodeAt(0)),
        BODY,
      );
    });
  }
}
