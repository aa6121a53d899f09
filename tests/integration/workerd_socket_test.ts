// fromCloudflareSocket under workerd (see _workerd.ts) with a socket the
// Worker opened itself and handed over before it opened, as the example of
// docs/runtimes.md does: a connection the runtime could not make fails with
// what the runtime said of it, not with the stream's "Stream was cancelled".

import { assertEquals } from "@std/assert";
import { BROKERS, readPem } from "./_codec_session.ts";
import { WORKERD } from "./_npm_runtime.ts";
import { startWorkerd } from "./_workerd.ts";

// What the client says of the refused socket.
const REFUSED =
  `StompConnectionError: Transport failed while reading: Cannot connect: proxy request failed, cannot connect to the specified address (refused, unreachable, not allowed by the Worker's outbound network, or, over TLS, a certificate the runtime does not trust; in workerd, private addresses need a network service with allow = ["public", "private", "local"] as the Worker's globalOutbound, and a certificate authority of your own goes in its tlsOptions.trustedCertificates)`;

Deno.test(`fromCloudflareSocket reports a socket workerd ${WORKERD.version} could not open as a failed connection`, async () => {
  await using workerd = await startWorkerd(
    [{ name: "current", compatibilityDate: "2025-09-15" }],
    await readPem(BROKERS.tlsCa),
  );
  const call = async (address: string): Promise<unknown> => {
    const response = await fetch(
      `${workerd.urls.current}/socket-error?${new URLSearchParams({
        address,
      })}`,
    );
    const text = await response.text();
    assertEquals(response.status, 200, `${text}\n${workerd.output()}`);
    return JSON.parse(text);
  };
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  assertEquals(await call(`127.0.0.1:${port}`), REFUSED);
  assertEquals(await call("nonexistent.invalid:61613"), REFUSED);
  // The same socket to a broker that answers connects as before.
  assertEquals(await call(new URL(BROKERS.rabbitmqTcp).host), "connected");
});
