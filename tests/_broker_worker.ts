// A StompTestBroker on a thread of its own (a Worker), so that it keeps
// writing heart-beats while the test's own event loop is blocked. Started
// with the broker's options as the first message; answers with its URL and
// closes the broker on a "close" message.

import {
  StompTestBroker,
  type StompTestBrokerOptions,
} from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
const worker = self as any;
let broker: StompTestBroker | undefined;
worker.onmessage = async (event: MessageEvent) => {
  if (event.data === "close") {
    await broker?.close();
    worker.postMessage("closed");
    return;
  }
  broker = StompTestBroker.listen(event.data as StompTestBrokerOptions);
  worker.postMessage(broker.url);
};
