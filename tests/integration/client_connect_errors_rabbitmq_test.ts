// A URL of the wrong kind aimed at RabbitMQ (scripts/brokers.sh): the
// client's error names the URL and what to write instead.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { BROKERS } from "./_client.ts";

/** The error connecting to `url` rejects with. */
async function refused(url: string, connectTimeout: number): Promise<Error> {
  const error = await StompClient.connectUrl(url, {
    login: "guest",
    passcode: "guest",
    connectTimeout,
  }).then((client) => {
    client.close();
    return undefined;
  }, (error: unknown) => error);
  assertInstanceOf(error, StompConnectionError);
  return error;
}

Deno.test("StompClient.connectUrl with a ws:// URL on RabbitMQ's STOMP port suggests tcp://", async () => {
  const tcp = new URL(BROKERS.rabbitmqTcp);
  const url = `ws://${tcp.host}/ws`;
  const error = await refused(url, 1000);
  assert(error.message.includes(`"${url}"`), error.message);
  assert(
    error.message.endsWith(
      `(if this port speaks STOMP over TCP rather than WebSocket, use "tcp://${tcp.host}")`,
    ),
    error.message,
  );
});

Deno.test("StompClient.connectUrl with tcp:// on RabbitMQ's TLS port says the port speaks TLS and to use tls://", async () => {
  const tls = new URL(BROKERS.rabbitmqTls);
  const url = `tcp://${tls.host}`;
  const error = await refused(url, 5000);
  assert(
    error.message.startsWith(
      `Cannot connect to "${url}": the port speaks TLS (it answered with a TLS record): use "tls://${tls.host}"`,
    ),
    error.message,
  );
});

Deno.test("StompClient.connectUrl with tcp:// on RabbitMQ's Web-STOMP port says it speaks HTTP and to use ws://", async () => {
  const ws = new URL(BROKERS.rabbitmqWs);
  const url = `tcp://${ws.host}`;
  const error = await refused(url, 5000);
  assert(
    error.message.startsWith(
      `Cannot connect to "${url}": the port speaks HTTP`,
    ),
    error.message,
  );
});

Deno.test("StompClient.connectUrl with tcp:// on RabbitMQ's AMQP port says the port speaks AMQP", async () => {
  const amqp = `${new URL(BROKERS.rabbitmqTcp).hostname}:5672`;
  const url = `tcp://${amqp}`;
  const error = await refused(url, 5000);
  assertEquals(
    error.message,
    `Cannot connect to "${url}": the port speaks AMQP (it answered with an AMQP protocol header): STOMP is on another port (RabbitMQ's is 61613)`,
  );
});

Deno.test("StompClient.connectUrl with wss:// on RabbitMQ's Web-STOMP port says to use ws://", async () => {
  const ws = new URL(BROKERS.rabbitmqWs);
  const url = `wss://${ws.host}${ws.pathname}`;
  const error = await refused(url, 5000);
  assert(
    error.message.endsWith(
      `(if this port speaks WebSocket without TLS, use "ws://${ws.host}${ws.pathname}")`,
    ),
    error.message,
  );
});
