import { assertEquals } from "@std/assert";
import {
  compareApi,
  declarationText,
  strictOptionals,
  typeText,
  widened,
} from "./ci/check_api.ts";

Deno.test("compareApi passes additions and fails a removed symbol or a changed signature", () => {
  const before = {
    ".": {
      send: ["function(destination: string): Promise<void>"],
      Options: ["interface", "timeout?: number"],
    },
  };
  assertEquals(compareApi(before, before), { broken: [], added: [] });
  assertEquals(
    compareApi(before, {
      ".": {
        send: ["function(destination: string): Promise<void>"],
        Options: ["interface", "timeout?: number", "signal?: AbortSignal"],
        More: ["type = string"],
      },
    }),
    {
      broken: [],
      added: [". Options: signal?: AbortSignal", ". More: new symbol"],
    },
  );
  assertEquals(
    compareApi(before, {
      ".": {
        send: ["function(destination: string, body: string): Promise<void>"],
      },
    }).broken,
    [
      ". send: changed or gone: function(destination: string): Promise<void>",
      ". Options: no longer exported",
    ],
  );
  assertEquals(compareApi(before, {}).broken, [".: the entry point is gone"]);
});

Deno.test("declarationText renders a function without where its types are declared", () => {
  const ref = (name: string) => ({
    repr: name,
    kind: "typeRef",
    value: {
      typeName: name,
      resolution: { kind: "import", specifier: "./a.ts", name },
    },
  });
  const lines = declarationText({
    kind: "function",
    def: {
      params: [
        { kind: "identifier", name: "a", optional: false, tsType: ref("A") },
        {
          kind: "assign",
          left: {
            kind: "identifier",
            name: "b",
            optional: false,
            tsType: ref("B"),
          },
          right: "{}",
        },
      ],
      returnType: {
        kind: "union",
        value: [ref("A"), {
          repr: "undefined",
          kind: "keyword",
          value: "undefined",
        }],
      },
    },
  });
  assertEquals(lines, ["function(a: A, b?: B): A | undefined"]);
  assertEquals(
    typeText({ kind: "array", value: { kind: "keyword", value: "string" } }),
    "string[]",
  );
});

Deno.test("compareApi takes an input's optional property that now takes undefined as kept, and only an input's", () => {
  const before = {
    ".": {
      SendOptions: [
        "interface",
        "receipt?: boolean",
        "on?: (e: Error) => void",
      ],
      Frame: ["interface", "receipt?: boolean"],
    },
  };
  assertEquals(
    compareApi(before, {
      ".": {
        SendOptions: [
          "interface",
          "receipt?: boolean | undefined",
          "on?: ((e: Error) => void) | undefined",
        ],
        Frame: ["interface", "receipt?: boolean | undefined"],
      },
    }),
    {
      broken: [". Frame: changed or gone: receipt?: boolean"],
      added: [". Frame: receipt?: boolean | undefined"],
    },
  );
});

Deno.test("strictOptionals lists the optional properties of inputs that do not take undefined", () => {
  assertEquals(
    widened("readonly a?: string"),
    "readonly a?: string | undefined",
  );
  assertEquals(widened("a?: () => number"), "a?: (() => number) | undefined");
  assertEquals(widened("a?: (() => number) | undefined"), undefined);
  assertEquals(
    widened("a?: Array<string | undefined>"),
    "a?: Array<string | undefined> | undefined",
  );
  assertEquals(widened("a: string"), undefined);
  assertEquals(
    strictOptionals({
      ".": {
        SendOptions: [
          "interface",
          "receipt?: boolean",
          "b?: string | undefined",
        ],
        ConnectSettings: ["interface", "url?: () => string"],
        StompFrame: ["interface", "receipt?: boolean"],
        sendOptions: ["function(a?: string): void"],
      },
    }),
    [
      ". SendOptions: receipt?: boolean",
      ". ConnectSettings: url?: () => string",
    ],
  );
});
