/// <reference lib="dom" />
// The page script of examples/browser/client.html: a chat over a STOMP topic
// with StompClient, through RabbitMQ Web-STOMP. It subscribes, sends,
// reconnects by itself when the connection is lost (resubscribing), and
// shows the client's state. serve.ts bundles it for the browser; open
// http://127.0.0.1:8000/client in two tabs to chat between them.
// ?ws=ws://host:port/path picks another broker, ?topic=/topic/name another
// topic.

import { StompClient, workerTimers } from "@stomper/stomp/browser";

const params = new URLSearchParams(location.search);
const url = params.get("ws") ?? "ws://127.0.0.1:15674/ws";
const topic = params.get("topic") ?? "/topic/stomper-chat";

const $ = (id: string) => document.getElementById(id)!;
const state = $("state");
const detail = $("detail");
const input = $("text") as HTMLInputElement;
const button = $("send") as HTMLButtonElement;

function log(text: string, kind = "message") {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("log").append(item);
}

let client: StompClient | undefined;

$("form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (client === undefined || input.value === "") return;
  // While reconnecting, the send waits and goes out once connected.
  client.send(topic, input.value).catch((error) =>
    log(`${error.message}`, "error")
  );
  input.value = "";
});

async function main() {
  client = await StompClient.connectUrl(url, {
    login: "guest",
    passcode: "guest",
    // Client heart-beats well within the minute after which RabbitMQ
    // Web-STOMP closes a connection that sent nothing; a chat sends no
    // bursts, during which Web-STOMP resets connections with client
    // heart-beats (docs/browser.md, "Heart-beats towards RabbitMQ Web-STOMP").
    heartBeat: [20_000, 10_000],
    // Reconnection delays and heart-beat checks keep their times in a
    // hidden tab, whose own timers the browser slows down.
    timers: workerTimers(),
    reconnect: {
      initialDelay: 500,
      maxDelay: 5_000,
      // While the client tries again (the first connection too), say why
      // the last attempt failed: otherwise the page only says "connecting".
      onFailedAttempt(error, attempt) {
        detail.textContent = `attempt ${attempt} failed: ${error.message}`;
      },
    },
    onStateChange({ state: now, error, client }) {
      state.textContent = now;
      detail.textContent = now === "connected"
        ? `${client.server ?? "a broker"} at ${url}, STOMP ${client.version}`
        : error?.message ?? "";
      input.disabled = button.disabled = now === "closed";
    },
  });

  input.focus();

  // Leaving the page: a clean DISCONNECT, so the broker sees the tab go
  // rather than a dropped connection. Not for a page the browser keeps in
  // its back-forward cache: that one reconnects when it is shown again.
  addEventListener("pagehide", (event) => {
    const kept = (event as PageTransitionEvent).persisted;
    if (!kept) client?.disconnect().catch(() => {});
  });

  // The subscription survives reconnections: the client subscribes again.
  // One the broker refuses (a destination it does not know) ends here, and
  // the client stays connected.
  try {
    for await (const message of await client.subscribe(topic)) {
      log(message.text);
    }
  } catch (error) {
    log(`Subscription to ${topic} ended: ${(error as Error).message}`, "error");
  }
}

main().catch((error) => {
  // Connecting failed for good: after the retries, the last attempt's error
  // is the cause.
  state.textContent = "failed";
  detail.textContent = error.cause instanceof Error
    ? `${error.message}: ${error.cause.message}`
    : error.message;
});
