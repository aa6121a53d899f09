// The page of sockjs_test.ts's Chromium run: the scenario over every SockJS
// transport, with SockJS from sockjs-client's dist script (loaded before this
// module by the page, from the same origin as the SockJS endpoint).

import { runAll, type SockJsConstructor, type SockJsRun } from "./scenario.ts";

const params = new URL(location.href).searchParams;
const SockJS = (globalThis as { SockJS?: SockJsConstructor }).SockJS;
(globalThis as { stomperResult?: Promise<SockJsRun[]> }).stomperResult =
  SockJS === undefined
    ? Promise.reject(new Error("sockjs.min.js did not define SockJS"))
    : runAll(
      SockJS,
      new URL("/stomp", location.href).href,
      params.get("queue")!,
      Number(params.get("idle")),
    );
