// Runs in headless Chromium, bundled by browser_life_test.ts with `deno
// bundle --platform browser`: the browser entry point, handed to the test's
// page.evaluate calls as `globalThis.stomper`, so that each test can live a
// page's life (freeze it, take it offline) around a connected client.

import * as stomper from "../../../src/browser.ts";

(globalThis as { stomper?: typeof stomper }).stomper = stomper;
