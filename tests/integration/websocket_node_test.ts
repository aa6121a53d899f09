// connectWebSocket under Node 20's WebSocket (--experimental-websocket,
// undici), whose failed connection fires "error" and never "close".

import { assertEquals, assertMatch } from "@std/assert";
import { runUnderNode } from "./_bundle.ts";

const SCRIPT = `
import { connectWebSocket, TransportConnectError } from "@stomper/stomp";
const started = Date.now();
// Keeps Node alive past the connect timeout, so a connect that never settles
// shows as "pending" instead of Node exiting early.
const guard = setTimeout(() => {
  console.log(JSON.stringify({ outcome: "pending" }));
  process.exit(0);
}, 8000);
try {
  await connectWebSocket(process.env.WS_URL, { timeout: 5000 });
  console.log(JSON.stringify({ outcome: "opened" }));
} catch (error) {
  console.log(JSON.stringify({
    outcome: error instanceof TransportConnectError ? "TransportConnectError" : String(error),
    message: error.message,
    ms: Date.now() - started,
  }));
}
clearTimeout(guard);
`;

Deno.test("connectWebSocket under Node 20 rejects at once when the connection is refused (undici fires no close event)", async () => {
  // A port that was just free: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const { code, stdout, stderr } = await runUnderNode(
    SCRIPT,
    { WS_URL: `ws://127.0.0.1:${port}/ws` },
    { nodeArgs: ["--experimental-websocket"] },
  );
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  const result = JSON.parse(stdout);
  assertEquals(result.outcome, "TransportConnectError", stdout);
  assertMatch(result.message, /connection failed/, stdout);
  // Well before the 5 s timeout: the failure itself ended the attempt.
  assertEquals(result.ms < 2000, true, stdout);
});
