/// <reference lib="dom" />
// The page script of examples/browser/: a chat over a STOMP topic, through
// RabbitMQ Web-STOMP, with the library's WebSocket transport and codec.
// serve.ts bundles it for the browser; open two tabs to chat between them.
// ?ws=ws://host:port/path picks another broker.

import {
  connect,
  connectWebSocket,
  send,
  StompDecoderStream,
  StompEncoderStream,
  subscribe,
} from "@stomper/stomp";

const TOPIC = "/topic/stomper-chat";
const $ = (id: string) => document.getElementById(id)!;
const status = $("status");
const input = $("text") as HTMLInputElement;
const button = $("send") as HTMLButtonElement;

function log(text: string) {
  const item = document.createElement("li");
  item.textContent = text;
  $("log").append(item);
}

async function main() {
  const url = new URLSearchParams(location.search).get("ws") ??
    "ws://127.0.0.1:15674/ws";
  const transport = await connectWebSocket(url);
  const encoder = new StompEncoderStream();
  encoder.readable.pipeTo(transport.writable).catch(() => {});
  const out = encoder.writable.getWriter();
  await out.write(connect({ host: "/", login: "guest", passcode: "guest" }));
  await out.write(subscribe("chat", TOPIC));

  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value === "") return;
    out.write(send(TOPIC, input.value)).catch((error) => log(`${error}`));
    input.value = "";
  });

  for await (
    const frame of transport.readable.pipeThrough(new StompDecoderStream())
  ) {
    switch (frame.command) {
      case "CONNECTED":
        status.textContent = `connected to ${url} (STOMP ${
          frame.headers.get("version")
        }, ${transport.socket.protocol})`;
        input.disabled = button.disabled = false;
        input.focus();
        break;
      case "MESSAGE":
        log(frame.text);
        break;
      case "ERROR":
        log(`ERROR: ${frame.headers.get("message")}`);
        break;
    }
  }
  status.textContent = "disconnected";
  input.disabled = button.disabled = true;
}

main().catch((error) => {
  status.textContent = `failed: ${error.message}`;
});
