// How the test broker reads a WebSocket subprotocol offer
// (src/testing/_subprotocol.ts). The handshake itself, over real sockets, is
// in broker_test.ts and integration/foreign_clients_test.ts (Node's `ws`).

import { assertEquals } from "@std/assert";
import {
  chooseSubprotocol,
  offeredSubprotocols,
} from "../src/testing/_subprotocol.ts";

const ALL = ["1.0", "1.1", "1.2"] as const;

Deno.test("offeredSubprotocols splits at commas with or without whitespace", () => {
  const expected = ["v10.stomp", "v11.stomp", "v12.stomp"];
  assertEquals(offeredSubprotocols("v10.stomp,v11.stomp,v12.stomp"), expected);
  assertEquals(
    offeredSubprotocols("v10.stomp, v11.stomp, v12.stomp"),
    expected,
  );
  assertEquals(
    offeredSubprotocols(" v10.stomp \t,\tv11.stomp  ,v12.stomp\t"),
    expected,
  );
});

Deno.test("offeredSubprotocols leaves out empty elements and reads an absent header as none", () => {
  assertEquals(offeredSubprotocols(",v12.stomp,, ,"), ["v12.stomp"]);
  assertEquals(offeredSubprotocols(""), []);
  assertEquals(offeredSubprotocols(null), []);
});

Deno.test("offeredSubprotocols keeps other whitespace inside a token", () => {
  // Only SP and HTAB are optional whitespace; a token is not rewritten.
  assertEquals(offeredSubprotocols("v12.stomp\n"), ["v12.stomp\n"]);
  assertEquals(offeredSubprotocols("V12.STOMP"), ["V12.STOMP"]);
});

Deno.test("chooseSubprotocol picks the highest STOMP version offered, whatever the order", () => {
  assertEquals(
    chooseSubprotocol("v10.stomp,v11.stomp,v12.stomp", ALL),
    "v12.stomp",
  );
  assertEquals(
    chooseSubprotocol("v12.stomp, v10.stomp, v11.stomp", ALL),
    "v12.stomp",
  );
  assertEquals(chooseSubprotocol("v10.stomp,v11.stomp", ALL), "v11.stomp");
  assertEquals(chooseSubprotocol("mqtt, v10.stomp", ALL), "v10.stomp");
});

Deno.test("chooseSubprotocol picks only a version the broker speaks", () => {
  assertEquals(
    chooseSubprotocol("v10.stomp,v11.stomp,v12.stomp", ["1.0", "1.1"]),
    "v11.stomp",
  );
  assertEquals(chooseSubprotocol("v12.stomp", ["1.0", "1.1"]), undefined);
});

Deno.test("chooseSubprotocol answers undefined when no STOMP subprotocol is offered", () => {
  assertEquals(chooseSubprotocol(null, ALL), undefined);
  assertEquals(chooseSubprotocol("", ALL), undefined);
  assertEquals(chooseSubprotocol("mqtt,stomp", ALL), undefined);
  // Tokens are compared exactly.
  assertEquals(chooseSubprotocol("V12.STOMP", ALL), undefined);
});
