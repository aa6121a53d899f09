// The codec over Deno TLS against RabbitMQ's STOMP TLS listener, verified
// with the certificate authority scripts/brokers.sh generated.

import { assertMatch, assertRejects } from "@std/assert";
import { connectTcp, TransportConnectError } from "@stomper/stomp/transports";
import { codecScenarios } from "./_codec_scenarios.ts";
import { BROKERS, readPem, TARGETS } from "./_codec_session.ts";

codecScenarios(TARGETS.rabbitmqTls);

Deno.test("connectTcp with RabbitMQ over TLS refuses a certificate the CA did not sign", async () => {
  const wrongCa = await readPem(BROKERS.tlsWrongCa);
  // The right CA connects (the scenarios above show it); the wrong one must not.
  const error = await assertRejects(
    () =>
      connectTcp(BROKERS.rabbitmqTls, { caCerts: [wrongCa], timeout: 5000 }),
    TransportConnectError,
  );
  assertMatch(error.message, /certificate|UnknownIssuer/i);
});

Deno.test("connectTcp with RabbitMQ over TLS refuses the server without its CA", async () => {
  const error = await assertRejects(
    () => connectTcp(BROKERS.rabbitmqTls, { timeout: 5000 }),
    TransportConnectError,
  );
  assertMatch(error.message, /certificate|UnknownIssuer/i);
});
