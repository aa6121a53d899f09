import { assertEquals } from "@std/assert";
import * as browser from "../src/browser.ts";
import * as root from "../mod.ts";
import { StompTestBroker } from "../src/testing/mod.ts";

// The exports of mod.ts that need TCP (or name its schemes and ports).
const TCP_ONLY = [
  "STOMP_PORTS",
  "TRANSPORT_SCHEMES",
  "connectCloudflareTcp",
  "connectNodeTcp",
  "connectTcp",
  "fromCloudflareSocket",
  "fromConn",
  "openTransport",
];

Deno.test("browser entry exports what mod.ts does but the TCP transports", () => {
  const missing = Object.keys(root).filter((name) => !(name in browser));
  assertEquals(missing.sort(), TCP_ONLY);
  for (const name of Object.keys(browser)) {
    assertEquals(
      browser[name as keyof typeof browser],
      root[name as keyof typeof root],
      name,
    );
  }
});

Deno.test("browser entry's StompClient.connectUrl speaks ws: and refuses tcp:, and its connectWebSocket refuses TLS settings, each naming the entry point with them, in a Worker that loads it alone", async () => {
  await using broker = StompTestBroker.listen({ webSocket: true });
  const worker = new Worker(
    new URL("./_browser_entry_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    const answer = new Promise<{ ws?: string; tcp?: string; tls?: string }>(
      (resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(event.message));
        };
      },
    );
    worker.postMessage({ ws: broker.webSocketUrl!, tcp: broker.url });
    assertEquals(await answer, {
      ws: "over ws",
      tcp:
        'TypeError: Cannot open transport: tcp: URLs need the TCP transports, which "@stomper/stomp/browser" leaves out; import from "@stomper/stomp" instead',
      tls:
        `TypeError: Cannot connect over WebSocket: caCerts, cert and key are taken only in Deno, through "@stomper/stomp" ("@stomper/stomp/browser" leaves TLS settings out, and other runtimes' WebSockets take none); trust the certificate authority in the runtime instead (a browser: its certificate store), or import from "@stomper/stomp" in Deno`,
    });
  } finally {
    worker.terminate();
  }
});
