// The public API, held against a committed snapshot: for each entry point in
// deno.json's `exports`, `deno doc --json` lists the exported symbols, and
// each is reduced to its kind and one line per signature (a class's public
// members, an interface's properties, a function's overloads). Every line
// in tests/api/snapshot.json must still be there: a symbol that disappeared
// from its entry point, or a signature that changed, fails; additions are
// listed and pass.
//
//   deno run --allow-read --allow-run tests/ci/check_api.ts           check
//   deno run --allow-read --allow-run --allow-write tests/ci/check_api.ts --update
//
// Locations, documentation and where a type is declared are left out, so
// moving code between files changes nothing.
//
// Options objects and what callers implement are inputs (`INPUT`): every
// optional property of one must take `undefined` (so that a caller under
// `exactOptionalPropertyTypes` can forward a value it may not have), and
// giving one `| undefined` where it had none is compatible.

const ROOT = new URL("../../", import.meta.url);
const SNAPSHOT = new URL("tests/api/snapshot.json", ROOT);
const IMPORT_MAP = "tests/offline/import_map.json";

/** Each entry point's symbols: name to its lines (kind first). */
export type ApiSnapshot = Record<string, Record<string, string[]>>;

// deno doc's JSON is loosely typed here on purpose: only what is rendered
// is read, and an unknown shape falls back to its JSON.
// deno-lint-ignore no-explicit-any
type Json = any;

/** Renders a type as TypeScript text. */
export function typeText(t: Json): string {
  if (t === undefined || t === null) return "unknown";
  const v = t.value;
  switch (t.kind) {
    case "keyword":
      return v;
    case "literal":
      switch (v.kind) {
        case "string":
          return JSON.stringify(v.string);
        case "number":
          return String(v.number);
        case "boolean":
          return String(v.boolean);
        case "bigInt":
          return `${v.bigInt}n`;
        default:
          return t.repr ?? JSON.stringify(v);
      }
    case "typeRef":
      return v.typeName +
        (v.typeParams?.length
          ? `<${v.typeParams.map(typeText).join(", ")}>`
          : "");
    case "union":
      return v.map(typeText).join(" | ");
    case "intersection":
      return v.map(typeText).join(" & ");
    case "array":
      return `${typeText(v)}[]`;
    case "tuple":
      return `[${v.map(typeText).join(", ")}]`;
    case "typeOperator":
      return `${v.operator} ${typeText(v.tsType)}`;
    case "parenthesized":
      return `(${typeText(v)})`;
    case "optional":
      return `${typeText(v)}?`;
    case "rest":
      return `...${typeText(v)}`;
    case "this":
      return "this";
    case "typeQuery":
      return `typeof ${typeof v === "string" ? v : JSON.stringify(v)}`;
    case "fnOrConstructor":
      return `${v.constructor ? "new " : ""}${typeParamsText(v.typeParams)}(${
        paramsText(v.params)
      }) => ${typeText(v.tsType)}`;
    case "typeLiteral":
      return `{ ${membersText(v).join("; ")} }`;
    case "indexedAccess":
      return `${typeText(v.objType)}[${typeText(v.indexType)}]`;
    case "conditional": {
      const c = v.conditionalType ?? v;
      return `${typeText(c.checkType)} extends ${typeText(c.extendsType)} ? ${
        typeText(c.trueType)
      } : ${typeText(c.falseType)}`;
    }
    case "mapped":
      return `{ ${v.readonly ? `${v.readonly} ` : ""}[${v.typeParam.name} in ${
        typeText(v.typeParam.constraint)
      }${v.nameType ? ` as ${typeText(v.nameType)}` : ""}]${
        v.optional ? v.optional : ""
      }: ${typeText(v.tsType)} }`;
    case "typePredicate":
      return `${v.asserts ? "asserts " : ""}${
        v.param?.type === "this" ? "this" : v.param?.name
      }${v.type ? ` is ${typeText(v.type)}` : ""}`;
    case "infer":
      return `infer ${v.typeParam.name}`;
    case "importType":
      return `import(${JSON.stringify(v.specifier)})${
        v.qualifier ? `.${v.qualifier}` : ""
      }`;
    default:
      return t.repr || JSON.stringify(strip(t));
  }
}

/** Drops what says where a thing is declared or documented. */
function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (["location", "jsDoc", "resolution", "byteIndex"].includes(key)) {
      continue;
    }
    out[key] = strip(item);
  }
  return out;
}

function typeParamsText(params: Json[] | undefined): string {
  if (!params?.length) return "";
  return `<${
    params.map((p) =>
      p.name + (p.constraint ? ` extends ${typeText(p.constraint)}` : "") +
      (p.default ? ` = ${typeText(p.default)}` : "")
    ).join(", ")
  }>`;
}

function paramText(p: Json): string {
  switch (p.kind) {
    case "identifier":
      return `${p.name}${p.optional ? "?" : ""}: ${typeText(p.tsType)}`;
    case "rest":
      return `...${paramText(p.arg)}${
        p.tsType ? `: ${typeText(p.tsType)}` : ""
      }`;
    case "assign": {
      // A default value makes the parameter optional; the value is not API.
      const left = paramText(p.left).replace(/^([^?:]*)(\??):/, "$1?:");
      return p.tsType && !left.includes(":")
        ? `${left}?: ${typeText(p.tsType)}`
        : left;
    }
    case "object":
      return `{ ${
        p.props.map((x: Json) => x.name ?? x.key ?? "…").join(", ")
      } }${p.optional ? "?" : ""}: ${typeText(p.tsType)}`;
    case "array":
      return `[…]${p.optional ? "?" : ""}: ${typeText(p.tsType)}`;
    default:
      return JSON.stringify(strip(p));
  }
}

function paramsText(params: Json[] | undefined): string {
  return (params ?? []).map(paramText).join(", ");
}

/** An interface's, type literal's or class's index signatures. */
function indexSignaturesText(def: Json): string[] {
  return (def.indexSignatures ?? []).map((s: Json) =>
    `${s.readonly ? "readonly " : ""}[${paramsText(s.params)}]: ${
      typeText(s.tsType)
    }`
  );
}

/** An interface's or type literal's members, one line each. */
function membersText(def: Json): string[] {
  const lines: string[] = [];
  for (const s of def.callSignatures ?? []) {
    lines.push(
      `${typeParamsText(s.typeParams)}(${paramsText(s.params)}): ${
        typeText(s.tsType)
      }`,
    );
  }
  for (const s of def.constructors ?? []) {
    if (s.accessibility === "private") continue;
    lines.push(
      `new ${typeParamsText(s.typeParams)}(${paramsText(s.params)}): ${
        typeText(s.returnType)
      }`,
    );
  }
  lines.push(...indexSignaturesText(def));
  for (const p of def.properties ?? []) {
    lines.push(
      `${p.readonly ? "readonly " : ""}${p.computed ? `[${p.name}]` : p.name}${
        p.optional ? "?" : ""
      }: ${typeText(p.tsType)}`,
    );
  }
  for (const m of def.methods ?? []) {
    const prefix = m.kind === "getter"
      ? "get "
      : m.kind === "setter"
      ? "set "
      : "";
    lines.push(
      `${prefix}${m.computed ? `[${m.name}]` : m.name}${m.optional ? "?" : ""}${
        typeParamsText(m.typeParams)
      }(${paramsText(m.params)}): ${typeText(m.returnType)}`,
    );
  }
  return lines;
}

/** A class's public members, one line each (private ones are not API). */
function classText(def: Json): string[] {
  const lines: string[] = [];
  const head = `class${typeParamsText(def.typeParams)}${
    def.extends ? ` extends ${def.extends}` : ""
  }${
    def.implements?.length
      ? ` implements ${def.implements.map(typeText).join(", ")}`
      : ""
  }${def.isAbstract ? " abstract" : ""}`;
  lines.push(head);
  for (const c of def.constructors ?? []) {
    if (c.accessibility === "private") continue;
    lines.push(`constructor(${paramsText(c.params)})`);
  }
  lines.push(...indexSignaturesText(def));
  for (const p of def.properties ?? []) {
    if (p.accessibility === "private") continue;
    lines.push(
      `${p.isStatic ? "static " : ""}${p.readonly ? "readonly " : ""}${
        p.accessibility === "protected" ? "protected " : ""
      }${p.name}${p.optional ? "?" : ""}: ${typeText(p.tsType)}`,
    );
  }
  for (const m of def.methods ?? []) {
    if (m.accessibility === "private") continue;
    const f = m.functionDef;
    const prefix = m.kind === "getter"
      ? "get "
      : m.kind === "setter"
      ? "set "
      : "";
    lines.push(
      `${m.isStatic ? "static " : ""}${
        m.accessibility === "protected" ? "protected " : ""
      }${prefix}${m.name}${m.optional ? "?" : ""}${
        typeParamsText(f.typeParams)
      }(${paramsText(f.params)}): ${typeText(f.returnType)}`,
    );
  }
  return lines;
}

/** One declaration of a symbol, as lines (its kind first). */
export function declarationText(decl: Json): string[] {
  const def = decl.def;
  switch (decl.kind) {
    case "class":
      return classText(def);
    case "interface":
      return [
        `interface${typeParamsText(def.typeParams)}${
          def.extends?.length
            ? ` extends ${def.extends.map(typeText).join(", ")}`
            : ""
        }`,
        ...membersText(def),
      ];
    case "function":
      return [
        `function${typeParamsText(def.typeParams)}(${
          paramsText(def.params)
        }): ${typeText(def.returnType)}`,
      ];
    case "typeAlias":
      return [
        `type${typeParamsText(def.typeParams)} = ${typeText(def.tsType)}`,
      ];
    case "variable":
      return [`${def.kind ?? "const"}: ${typeText(def.tsType)}`];
    case "enum":
      return [
        "enum",
        ...(def.members ?? []).map((m: Json) =>
          `${m.name}${m.init ? ` = ${typeText(m.init)}` : ""}`
        ),
      ];
    case "namespace":
      return [
        "namespace",
        ...(def.elements ?? []).flatMap((e: Json) =>
          (e.declarations ?? [e]).flatMap((d: Json) =>
            declarationText(d).map((line) => `${e.name}: ${line}`)
          )
        ),
      ];
    default:
      return [JSON.stringify(strip(decl))];
  }
}

/** The snapshot of the repository as it is now. */
export async function currentApi(): Promise<ApiSnapshot> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const api: ApiSnapshot = {};
  for (const [entry, file] of Object.entries<string>(config.exports)) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--json", `--import-map=${IMPORT_MAP}`, file],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        `Cannot read the API of ${JSON.stringify(entry)} (${file}): ${
          new TextDecoder().decode(output.stderr)
        }`,
      );
    }
    const doc = JSON.parse(new TextDecoder().decode(output.stdout));
    const symbols: Record<string, string[]> = {};
    for (const node of Object.values<Json>(doc.nodes)) {
      for (const symbol of node.symbols ?? []) {
        const lines: string[] = [];
        for (const decl of symbol.declarations) {
          if (decl.declarationKind === "private") continue;
          for (const line of declarationText(decl)) {
            if (!lines.includes(line)) lines.push(line);
          }
        }
        if (lines.length > 0) symbols[symbol.name] = lines;
      }
    }
    api[entry] = Object.fromEntries(
      Object.entries(symbols).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
    );
  }
  return api;
}

/**
 * Interfaces whose objects callers build and hand to the library: options by
 * name, and the objects a caller implements or passes in.
 */
export const INPUT =
  /(Options|Overrides|Settings)$|^(StompFrameLike|StompTransport|StompTimers|WebSocketLike|CliIO)$/;

/** An optional property's line: its name part and its type. */
const OPTIONAL = /^((?:readonly )?[^\s:(]+\?): (.*)$/;

/** Whether a type, as rendered, takes `undefined` at its top level. */
function takesUndefined(type: string): boolean {
  let depth = 0;
  const arrowless = type.replaceAll("=>", " ");
  for (const part of arrowless.split(/([()<>[\]{}])|\s\|\s/)) {
    if (part === undefined || part === "") continue;
    if ("(<[{".includes(part)) depth++;
    else if (")>]}".includes(part)) depth--;
    else if (depth === 0 && part.trim() === "undefined") return true;
  }
  return false;
}

/** `line` (an optional property) with `| undefined` added to its type. */
export function widened(line: string): string | undefined {
  const match = OPTIONAL.exec(line);
  if (match === null || takesUndefined(match[2]!)) return undefined;
  const type = match[2]!.includes("=>") ? `(${match[2]})` : match[2];
  return `${match[1]}: ${type} | undefined`;
}

/**
 * The optional properties of input interfaces (see {@linkcode INPUT}) whose
 * type does not take `undefined`, one line each.
 */
export function strictOptionals(api: ApiSnapshot): string[] {
  const found: string[] = [];
  for (const [entry, symbols] of Object.entries(api)) {
    for (const [name, lines] of Object.entries(symbols)) {
      if (!INPUT.test(name) || !lines[0]!.startsWith("interface")) continue;
      for (const line of lines.slice(1)) {
        if (widened(line) !== undefined) {
          found.push(`${entry} ${name}: ${line}`);
        }
      }
    }
  }
  return found;
}

/**
 * What changed from `before` to `after`: removals break, additions do not.
 * An input interface's optional property that now takes `undefined` too is
 * the same to every caller, and is neither.
 */
export function compareApi(
  before: ApiSnapshot,
  after: ApiSnapshot,
): { broken: string[]; added: string[] } {
  const broken: string[] = [];
  const added: string[] = [];
  for (const [entry, symbols] of Object.entries(before)) {
    const now = after[entry];
    if (now === undefined) {
      broken.push(`${entry}: the entry point is gone`);
      continue;
    }
    for (const [name, lines] of Object.entries(symbols)) {
      const current = now[name];
      if (current === undefined) {
        broken.push(`${entry} ${name}: no longer exported`);
        continue;
      }
      const input = INPUT.test(name);
      const kept = new Set<string>();
      for (const line of lines) {
        const wider = input ? widened(line) : undefined;
        if (current.includes(line)) kept.add(line);
        else if (wider !== undefined && current.includes(wider)) {
          kept.add(wider);
        } else broken.push(`${entry} ${name}: changed or gone: ${line}`);
      }
      for (const line of current) {
        if (!kept.has(line)) added.push(`${entry} ${name}: ${line}`);
      }
    }
    for (const name of Object.keys(now)) {
      if (!(name in symbols)) added.push(`${entry} ${name}: new symbol`);
    }
  }
  for (const entry of Object.keys(after)) {
    if (!(entry in before)) added.push(`${entry}: new entry point`);
  }
  return { broken, added };
}

if (import.meta.main) {
  const api = await currentApi();
  if (Deno.args.includes("--update")) {
    await Deno.writeTextFile(SNAPSHOT, JSON.stringify(api, null, 2) + "\n");
    const count = Object.values(api).reduce(
      (n, symbols) => n + Object.keys(symbols).length,
      0,
    );
    console.log(`api: snapshot written, ${count} symbols`);
    Deno.exit(0);
  }
  const before = JSON.parse(await Deno.readTextFile(SNAPSHOT)) as ApiSnapshot;
  const { broken, added } = compareApi(before, api);
  for (const line of strictOptionals(api)) {
    broken.push(`${line}: an option must take undefined (add "| undefined")`);
  }
  for (const line of added) console.log(`added: ${line}`);
  for (const line of broken) console.error(`BROKEN: ${line}`);
  if (broken.length > 0) {
    console.error(
      `api: ${broken.length} incompatible change(s) against tests/api/snapshot.json (run with --allow-write ... --update only for an intended change)`,
    );
    Deno.exit(1);
  }
  console.log(
    `api: compatible with tests/api/snapshot.json (${added.length} addition(s))`,
  );
}
