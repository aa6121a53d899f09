// The library under workerd, the runtime of Cloudflare Workers (installed
// from npm on first use, see _npm_runtime.ts), against RabbitMQ: the Worker
// of workerd/worker.ts is bundled with `deno bundle` and served on 127.0.0.1
// by two services, one on a compatibility date without nodejs_compat and one
// with nodejs_compat (where a Worker also looks like Node); the test drives
// each route with fetch. The scenario is the shared one of
// _runtime_scenario.ts, as under Bun.

import { assertEquals, assertMatch } from "@std/assert";
import * as stomp from "../../mod.ts";
import { assertReachable, BROKERS, readPem } from "./_codec_session.ts";
import { WORKERD } from "./_npm_runtime.ts";
import { codecRoundTrip, expectedClientReport } from "./_runtime_scenario.ts";
import { startWorkerd } from "./_workerd.ts";
import { uniqueQueue } from "../_helpers.ts";

const SERVICES = [
  { name: "plain", compatibilityDate: "2024-09-23" },
  {
    name: "nodejs_compat",
    compatibilityDate: "2025-09-15",
    compatibilityFlags: ["nodejs_compat"],
  },
];

// What workerd says of any connection it could not make, and the hint
// connectCloudflareTcp adds.
const REFUSED =
  `proxy request failed, cannot connect to the specified address (refused, unreachable, not allowed by the Worker's outbound network; in workerd, private addresses need a network service with allow = ["public", "private", "local"] as the Worker's globalOutbound)`;

Deno.test(`connectCloudflareTcp and fromCloudflareSocket run StompClient under workerd ${WORKERD.version} against RabbitMQ`, async (t) => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await assertReachable(BROKERS.rabbitmqTls, "RabbitMQ over TLS");
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  await using workerd = await startWorkerd(
    SERVICES,
    await readPem(BROKERS.tlsCa),
  );
  /** The route's JSON answer, from the service's Worker. */
  const call = async (
    service: string,
    path: string,
    params: Record<string, string> = {},
  ): Promise<unknown> => {
    const url = `${workerd.urls[service]}${path}?${new URLSearchParams(
      params,
    )}`;
    const response = await fetch(url);
    const text = await response.text();
    assertEquals(
      response.status,
      200,
      `${url} answered ${response.status}: ${text}\n${workerd.output()}`,
    );
    return JSON.parse(text);
  };

  await t.step(
    "the Workers are Workers, one of them also like Node",
    async () => {
      assertEquals(await call("plain", "/runtime"), {
        userAgent: "Cloudflare-Workers",
        node: null,
      });
      const compat = await call("nodejs_compat", "/runtime") as {
        userAgent: string;
        node: string;
      };
      assertEquals(compat.userAgent, "Cloudflare-Workers");
      assertMatch(compat.node, /^\d+\.\d+\.\d+$/);
    },
  );

  await t.step("the codec gives in workerd what it gives in Deno", async () => {
    const inDeno = await codecRoundTrip(stomp);
    assertEquals(inDeno.agree, true);
    assertEquals(await call("plain", "/codec"), inDeno);
  });

  for (const service of ["plain", "nodejs_compat"]) {
    await t.step(
      `${service}: StompClient.connectUrl over tcp://, tls:// and ws://`,
      async () => {
        for (
          const url of [
            BROKERS.rabbitmqTcp,
            BROKERS.rabbitmqTls,
            BROKERS.rabbitmqWs,
          ]
        ) {
          assertEquals(
            await call(service, "/client", { open: "connectUrl", url }),
            expectedClientReport("workerd", "unknown"),
            url,
          );
        }
      },
    );

    await t.step(
      `${service}: openTransport picks connectCloudflareTcp, whose writes coalesce`,
      async () => {
        assertEquals(
          await call(service, "/client", {
            open: "openTransport",
            url: BROKERS.rabbitmqTcp,
          }),
          expectedClientReport("workerd", true),
        );
        // The error is connectCloudflareTcp's, not node:net's (which
        // nodejs_compat also offers).
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const url = `tcp://127.0.0.1:${closed.addr.port}`;
        closed.close();
        assertEquals(
          await call(service, "/open-error", { url }),
          `TransportConnectError: Cannot connect to ${
            JSON.stringify(url)
          }: ${REFUSED}`,
        );
      },
    );
  }

  await t.step(
    "fromCloudflareSocket wraps a socket the Worker opened itself",
    async () => {
      assertEquals(
        await call("plain", "/client", {
          open: "socket",
          url: BROKERS.rabbitmqTcp,
        }),
        expectedClientReport("workerd", true),
      );
    },
  );

  await t.step(
    "connectCloudflareTcp gives up after its timeout when a TLS handshake gets no answer",
    async () => {
      // Accepts, and never answers the TLS handshake.
      using silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepted = silent.accept();
      const url = `tls://127.0.0.1:${silent.addr.port}`;
      assertEquals(
        await call("plain", "/open-error", { url, timeout: "300" }),
        `TransportConnectError: Cannot connect to ${
          JSON.stringify(url)
        }: timed out after 300 ms`,
      );
      (await accepted).close();
    },
  );

  await t.step(
    "openTransport refuses caCerts in Workers, saying where a certificate authority goes",
    async () => {
      assertEquals(
        await call("plain", "/open-error", {
          url: BROKERS.rabbitmqTls,
          ca: await readPem(BROKERS.tlsCa),
        }),
        "TypeError: Cannot connect over TCP: caCerts, cert and key cannot be used with Cloudflare sockets, which trust the runtime's certificate authorities and send no client certificate; in workerd, list a certificate authority of your own in the network service's tlsOptions.trustedCertificates",
      );
    },
  );

  await t.step(
    "a Durable Object keeps one client across requests",
    async () => {
      const queue = uniqueQueue("workerd-holder");
      const url = BROKERS.rabbitmqTcp;
      assertEquals(
        await call("plain", "/holder/connect", { url, queue }),
        "connected",
      );
      for (const text of ["first", "second"]) {
        assertEquals(
          await call("plain", "/holder/send", { queue, text }),
          "sent",
        );
        // Between requests the Durable Object stays alive, heart-beats too.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assertEquals(await call("plain", "/holder/receive"), text);
      }
      assertEquals(await call("plain", "/holder/disconnect"), {
        state: "closed",
        connections: 1,
        reconnects: 0,
      });
    },
  );

  await t.step(
    "a client a plain Worker keeps for the next request fails there, saying to use a Durable Object",
    async () => {
      const queue = uniqueQueue("workerd-kept");
      assertEquals(
        await call("plain", "/kept/connect", { url: BROKERS.rabbitmqTcp }),
        "connected",
      );
      try {
        assertEquals(
          await call("plain", "/kept/send", { queue }),
          "StompConnectionError: Connection lost while sending: Cannot use the connection: it was opened while handling another request, and a Worker's sockets belong to the request that opened them; connect in each request, or keep the client in a Durable Object",
        );
      } finally {
        await call("plain", "/kept/close");
      }
    },
  );
});
