// maxHeaderLineBytes counts a header line without its EOL, and in STOMP 1.2
// an EOL may be CRLF: a broker that ends its lines with CRLF gets the same
// limit as one that ends them with LF.

import { assertEquals } from "@std/assert";
import { decodeAllWays } from "./_decode.ts";

Deno.test("StompDecoder takes a header line of maxHeaderLineBytes ended by CRLF", () => {
  const header = decodeAllWays("SEND\r\nkey:0123\r\n\r\n\0", {
    maxHeaderLineBytes: 8,
  });
  assertEquals(header.thrown, undefined);
  assertEquals(header.frames[0]?.headers, [["key", "0123"]]);
  const command = decodeAllWays("CONNECTED\r\nversion:1.2\r\n\r\n\0", {
    maxHeaderLineBytes: 11,
  });
  assertEquals(command.thrown, undefined);
  assertEquals(command.frames[0]?.command, "CONNECTED");
  // Frames that follow decode as well.
  assertEquals(
    decodeAllWays("SEND\r\nk:1\r\n\r\n\0SEND\r\nkey:0123\r\n\r\nx\0", {
      maxHeaderLineBytes: 8,
    }).frames.length,
    2,
  );
});

Deno.test("StompDecoder refuses a CRLF-ended header line one byte over maxHeaderLineBytes at the first byte beyond it", () => {
  assertEquals(
    decodeAllWays("SEND\r\nkey:01234\r\n\r\n\0", { maxHeaderLineBytes: 8 })
      .thrown,
    {
      name: "RangeError",
      message: "Header line exceeds the limit of 8 bytes at byte 14",
    },
  );
  assertEquals(
    decodeAllWays("CONNECTED\r\n\r\n\0", { maxHeaderLineBytes: 8 }).thrown,
    {
      name: "RangeError",
      message: "Header line exceeds the limit of 8 bytes at byte 8",
    },
  );
});

Deno.test("StompDecoder counts a CR that is not before LF against maxHeaderLineBytes", () => {
  for (const value of ["0123\rX", "0123\r\r", "012\r\r"]) {
    const out = decodeAllWays(`SEND\nkey:${value}\n\n\0`, {
      maxHeaderLineBytes: 8,
    });
    assertEquals(
      out.thrown,
      value === "012\r\r" ? undefined : {
        name: "RangeError",
        message: "Header line exceeds the limit of 8 bytes at byte 13",
      },
      JSON.stringify(value),
    );
  }
});

Deno.test("StompDecoder still counts CRLF against maxHeaderBytes, as part of the block", () => {
  // 6 + 10 + 2 bytes: command line, header line and blank line.
  const text = "SEND\r\nkey:0123\r\n\r\n\0";
  assertEquals(
    decodeAllWays(text, { maxHeaderBytes: 18 }).thrown,
    undefined,
  );
  assertEquals(decodeAllWays(text, { maxHeaderBytes: 17 }).thrown, {
    name: "RangeError",
    message: "Header block exceeds the limit of 17 bytes at byte 17",
  });
});
