// STOMP over TCP from Deno.
//
//   deno run --allow-net=127.0.0.1 --allow-env=STOMP_URL examples/tcp.ts
//
// STOMP_URL defaults to RabbitMQ's tcp://127.0.0.1:61613 (ActiveMQ from
// scripts/brokers.sh listens on tcp://127.0.0.1:61623).

import { connectTcp } from "@stomper/stomp";
import { hello } from "./_hello.ts";

const url = Deno.env.get("STOMP_URL") ?? "tcp://127.0.0.1:61613";
await hello(await connectTcp(url), url);
