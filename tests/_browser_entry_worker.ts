// Runs in a Worker, whose module graph holds only what it imports: the
// browser entry point, as a page bundle would. Answers the test's message
// (a WebSocket URL and a TCP URL) with what connectUrl did with each, and
// what connectWebSocket did with TLS settings, which the entry leaves out.
/// <reference lib="deno.worker" />
import { connectWebSocket, StompClient } from "../src/browser.ts";

self.onmessage = async (event: MessageEvent<{ ws: string; tcp: string }>) => {
  const result: { ws?: string; tcp?: string; tls?: string } = {};
  try {
    await using client = await StompClient.connectUrl(event.data.ws);
    const echo = await client.subscribe("/queue/browser-entry");
    await client.send("/queue/browser-entry", "over ws");
    for await (const message of echo) {
      result.ws = message.text;
      break;
    }
  } catch (error) {
    result.ws = `${(error as Error).name}: ${(error as Error).message}`;
  }
  try {
    await StompClient.connectUrl(event.data.tcp);
    result.tcp = "connected";
  } catch (error) {
    result.tcp = `${(error as Error).name}: ${(error as Error).message}`;
  }
  try {
    await connectWebSocket(event.data.ws.replace("ws:", "wss:"), {
      caCerts: ["-----BEGIN CERTIFICATE-----"],
    });
    result.tls = "connected";
  } catch (error) {
    result.tls = `${(error as Error).name}: ${(error as Error).message}`;
  }
  self.postMessage(result);
};
