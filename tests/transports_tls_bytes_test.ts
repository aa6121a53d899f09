// TLS settings given as bytes instead of text: what Node's readFileSync(path)
// returns without an encoding (a Buffer), and Deno.readFileSync. Each
// transport refuses them before connecting, saying which setting holds bytes
// and how to read the file as text.

import { assertMatch, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import {
  connectNodeTcp,
  connectTcp,
  connectWebSocket,
  type StompTransport,
} from "../mod.ts";

// Any text with the PEM markers: the check refuses the type before the content.
const PEM_CERT =
  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY =
  "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

// Port 9 (discard) on loopback: nothing listens, so a refusal that came from
// connecting would be a TransportConnectError, not a TypeError.
const CONNECTS: [string, (options: never) => Promise<StompTransport>][] = [
  ["connectNodeTcp", (options) => connectNodeTcp("tls://127.0.0.1:9", options)],
  ["connectTcp", (options) => connectTcp("tls://127.0.0.1:9", options)],
  [
    "connectWebSocket",
    (options) => connectWebSocket("wss://127.0.0.1:9", options),
  ],
];

const READ_AS_TEXT = /read the file as text: readFileSync\(path, "utf8"\)/;

/**
 * Each of CONNECTS refuses each of `bad`'s options with a TypeError whose
 * message matches its pattern and says to read the file as text.
 */
async function refusedAsBytes(
  bad: [Record<string, unknown>, RegExp][],
): Promise<void> {
  for (const [name, connect] of CONNECTS) {
    for (const [options, says] of bad) {
      const error = await assertRejects(
        () => connect(options as never),
        TypeError,
        undefined,
        name,
      );
      assertMatch(error.message, says, name);
      assertMatch(error.message, READ_AS_TEXT, name);
    }
  }
}

Deno.test("connectNodeTcp, connectTcp and connectWebSocket refuse a Buffer in caCerts, naming the entry and saying to read the file as text", async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { caCerts: [Buffer.from(PEM_CERT)] },
      /: caCerts\[0\] must be a PEM string, got a Buffer \(/,
    ],
    [
      { caCerts: [PEM_CERT, new TextEncoder().encode(PEM_CERT)] },
      /: caCerts\[1\] must be a PEM string, got a Uint8Array \(/,
    ],
  ];
  await refusedAsBytes(bad);
});

Deno.test("connectNodeTcp, connectTcp and connectWebSocket refuse a Buffer as cert or key, naming it and saying to read the file as text", async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { cert: Buffer.from(PEM_CERT), key: PEM_KEY },
      /: cert must be a PEM certificate as a string, got a Buffer \(/,
    ],
    [
      { cert: PEM_CERT, key: Buffer.from(PEM_KEY) },
      /: key must be a PEM private key as a string, got a Buffer \(/,
    ],
  ];
  await refusedAsBytes(bad);
});

Deno.test("connectNodeTcp refuses a caCerts entry of another type, naming its type", async () => {
  const error = await assertRejects(
    () => connectNodeTcp("tls://127.0.0.1:9", { caCerts: [42] } as never),
    TypeError,
  );
  assertMatch(
    error.message,
    /^Cannot connect over TCP: caCerts\[0\] must be a PEM string, got a number$/,
  );
});
