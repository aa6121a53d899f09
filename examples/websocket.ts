// STOMP over WebSocket from Deno; the same code runs in a browser (see
// examples/browser/).
//
//   deno run --allow-net=127.0.0.1 --allow-env=STOMP_URL examples/websocket.ts
//
// STOMP_URL defaults to RabbitMQ Web-STOMP, ws://127.0.0.1:15674/ws.

import { connectWebSocket } from "@stomper/stomp";
import { hello } from "./_hello.ts";

const url = Deno.env.get("STOMP_URL") ?? "ws://127.0.0.1:15674/ws";
const transport = await connectWebSocket(url);
console.log(`subprotocol ${transport.socket.protocol}`);
await hello(transport, url);
