/// <reference lib="dom" />
// The page script of README.md's "Quick start: a browser page", with the
// package name replaced by the path it resolves to: what tests/ci/bundle_size.ts
// bundles and weighs. bundle_size.ts fails when the README imports anything
// this file does not.
import { StompClient } from "../../src/browser.ts";

const log = document.querySelector("#log")!;
const client = await StompClient.connectUrl("ws://localhost:15674/ws", {
  login: "guest",
  passcode: "guest",
});
const news = await client.subscribe("/topic/news");
await client.send("/topic/news", `Hello from ${navigator.userAgent}`);
for await (const message of news) {
  log.append(`${message.text}\n`);
}
