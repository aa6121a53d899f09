// StompClient.connectUrl's transport TLS settings, end to end, for tls:// and
// wss:// in Deno: the test broker behind a TLS terminator (Deno.listenTls
// piping bytes to the broker's TCP or WebSocket port) that presents a
// certificate made in the test.

import { assertEquals, assertMatch, assertRejects } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { makePki } from "./_certs.ts";

/** Terminates TLS on 127.0.0.1 and pipes each connection to `port`. */
function tlsTerminator(
  pair: { cert: string; key: string },
  port: number,
): Deno.TlsListener & AsyncDisposable {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: pair.cert,
    key: pair.key,
  });
  const piping = new Set<Promise<unknown>>();
  const accepting = (async () => {
    for await (const outside of listener) {
      const pipe = (async () => {
        try {
          const inside = await Deno.connect({ hostname: "127.0.0.1", port });
          await Promise.allSettled([
            outside.readable.pipeTo(inside.writable),
            inside.readable.pipeTo(outside.writable),
          ]);
        } catch {
          outside.close();
        }
      })();
      piping.add(pipe);
      pipe.finally(() => piping.delete(pipe));
    }
  })();
  return Object.assign(listener, {
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      await accepting.catch(() => {});
      await Promise.allSettled(piping);
    },
  });
}

Deno.test("StompClient.connectUrl with transport.caCerts connects over wss:// and tls:// to a server whose CA it names, and not without", async () => {
  await using pki = await makePki();
  await using broker = StompTestBroker.listen({ webSocket: true });
  const wsPort = Number(new URL(broker.webSocketUrl!).port);
  await using wss = tlsTerminator(pki.servers.ip, wsPort);
  await using tls = tlsTerminator(pki.servers.ip, broker.port);
  const urls = [
    `wss://127.0.0.1:${(wss.addr as Deno.NetAddr).port}/ws`,
    `tls://127.0.0.1:${(tls.addr as Deno.NetAddr).port}`,
  ];
  for (const url of urls) {
    const client = await StompClient.connectUrl(url, {
      transport: { caCerts: [pki.ca] },
      connectTimeout: 5000,
    });
    await client.send("/queue/tls", `over ${new URL(url).protocol}`, {
      receipt: true,
    });
    await client.disconnect();

    const error = await assertRejects(() =>
      StompClient.connectUrl(url, { connectTimeout: 5000 })
    );
    assertMatch(String(error), /caCerts|UnknownIssuer|certificate/);
  }
  assertEquals(broker.depth("/queue/tls"), 2);
});
