// The weight of a browser page that uses the client, held against a budget:
// tests/ci/browser_page.ts (README.md's browser page script) bundled with
// `deno bundle --platform=browser --minify`, as README.md says to, then
// gzipped. Prints the sizes; exits 1 above the budget, or when the README's
// page imports something browser_page.ts does not (the measure would then
// be of another program).
//
//   deno run -A tests/ci/bundle_size.ts                  check
//   deno run -A tests/ci/bundle_size.ts --modules        and list what is in it
//   deno run -A tests/ci/bundle_size.ts --budget=20000   against another budget
//
// Bundled with the offline import map (jsr.io may be unreachable), as the
// rest of CI does: its stand-in for @std/bytes's concat is as small as the
// real one.

const ROOT = new URL("../../", import.meta.url);
const ENTRY = "tests/ci/browser_page.ts";
const IMPORT_MAP = "tests/offline/import_map.json";
const README_HEADING = "## Quick start: a browser page";

/**
 * The budget in gzipped bytes. The goal is 14 KiB (14336 bytes, issue 21);
 * until it is met, the budget is the size reached, rounded up to the next
 * 512 bytes, so that growth fails CI. Raised on purpose from 32768 to 37888
 * on 2026-12-06 for that day's fixes (the client's own bound over SockJS,
 * typed errors for bad input, errors that name the URL and the fix, bounded
 * costs at scale): 32,343 to 37,427 bytes; see docs/browser.md. Raised again
 * to 38912 later that day for input checks JavaScript callers need (headers
 * that are not strings, null options, misspelt codec and decodeLimits names,
 * timeouts past 2^31-1 ms, a drain that keeps its timeout, misspelt operation
 * options): 37,430 to 38,886. Raised again to 40448 on 2026-12-07 for what
 * a browser page needed (maxUnreadBytes, errors naming a frozen or cached
 * page, an offline browser, a Content Security Policy, the console; the
 * Web-STOMP idle close in the reset hint) and that day's client fixes
 * (timers after a held-up event loop, a WebSocket's close reason, misspelt
 * transport options, hints for Blob bodies and escaped credentials): 38,886
 * to 39,954.
 * Issue 21's goal is out of reach this way: see docs/browser.md.
 */
export const BUDGET = 40448;

/** What {@linkcode measure} found. */
export interface BundleSize {
  /** Bytes of the minified bundle. */
  minified: number;
  /** Bytes of the minified bundle, gzipped (CompressionStream, default level). */
  gzipped: number;
  /** Each module of an unminified bundle, with its bytes there, largest first. */
  modules: [string, number][];
}

/** The import statements of a script, one per line, in order. */
export function importLines(code: string): string[] {
  return [...code.matchAll(/^import\s[^;]*;/gm)].map((m) =>
    m[0].replace(/\s+/g, " ")
  );
}

/** `line` with its module specifier replaced by `resolve(specifier)`. */
export function resolveSpecifier(
  line: string,
  resolve: (specifier: string) => string,
): string {
  return line.replace(/from "([^"]+)"/, (_, name) => `from "${resolve(name)}"`);
}

/** The page script of README.md's browser quick start. */
export function readmePageScript(readme: string): string {
  const start = readme.indexOf(README_HEADING);
  if (start < 0) {
    throw new Error(`Cannot find the browser page: no "${README_HEADING}"`);
  }
  const block = readme.slice(start).match(/```ts\n([\s\S]*?)```/);
  if (block === null) {
    throw new Error(
      `Cannot find the browser page: no ts block under "${README_HEADING}"`,
    );
  }
  return block[1]!;
}

/** Bytes of `data` gzipped with CompressionStream. */
export async function gzipSize(data: Uint8Array): Promise<number> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** The modules of an unminified bundle (its `// path` lines) and their bytes. */
export function moduleSizes(code: string): [string, number][] {
  const marks = [...code.matchAll(/^\/\/ (\S+\.[jt]s)$/gm)];
  const sizes: [string, number][] = marks.map((mark, i) => [
    mark[1]!,
    (marks[i + 1]?.index ?? code.length) - mark.index,
  ]);
  return sizes.sort((a, b) => b[1] - a[1]);
}

async function denoBundle(
  entry: string,
  output: string,
  minify: boolean,
): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      `--import-map=${IMPORT_MAP}`,
      "--platform=browser",
      "--format=esm",
      ...(minify ? ["--minify"] : []),
      `--output=${output}`,
      entry,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const decoder = new TextDecoder();
    throw new Error(
      `Cannot bundle ${entry}: deno bundle exited with ${code}\n${
        decoder.decode(stdout)
      }${decoder.decode(stderr)}`,
    );
  }
}

/** Bundles {@linkcode ENTRY} minified and not, and measures both. */
export async function measure(): Promise<BundleSize> {
  const dir = await Deno.makeTempDir({ prefix: "stomper-bundle-size-" });
  try {
    await denoBundle(ENTRY, `${dir}/page.min.js`, true);
    await denoBundle(ENTRY, `${dir}/page.js`, false);
    const minified = await Deno.readFile(`${dir}/page.min.js`);
    return {
      minified: minified.byteLength,
      gzipped: await gzipSize(minified),
      modules: moduleSizes(await Deno.readTextFile(`${dir}/page.js`)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const budgetFlag = Deno.args.find((a) => a.startsWith("--budget="));
  const budget = budgetFlag === undefined
    ? BUDGET
    : Number(budgetFlag.slice("--budget=".length));
  if (!Number.isInteger(budget) || budget <= 0) {
    console.error(`Cannot check the size: invalid budget "${budgetFlag}"`);
    Deno.exit(2);
  }

  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const entry = await Deno.readTextFile(new URL(ENTRY, ROOT));
  const importMap = new URL(IMPORT_MAP, ROOT);
  const { imports } = JSON.parse(await Deno.readTextFile(importMap));
  // The README's package names, through the import map, are the files the
  // entry's relative imports name.
  const wanted = importLines(readmePageScript(readme)).map((line) =>
    resolveSpecifier(line, (name) => {
      const target = imports[name];
      return target === undefined ? name : new URL(target, importMap).href;
    })
  );
  const entryLines = importLines(entry).map((line) =>
    resolveSpecifier(line, (name) => new URL(name, new URL(ENTRY, ROOT)).href)
  );
  const missing = wanted.filter((line) => !entryLines.includes(line));
  if (missing.length > 0) {
    console.error(
      `${ENTRY} does not import what README.md's browser page imports: ${
        missing.join(" ")
      } (it imports ${entryLines.join(" ")})`,
    );
    Deno.exit(1);
  }

  const size = await measure();
  if (Deno.args.includes("--modules")) {
    const total = size.modules.reduce((sum, [, bytes]) => sum + bytes, 0);
    for (const [path, bytes] of size.modules) {
      const share = (100 * bytes / total).toFixed(1).padStart(5);
      console.log(`${String(bytes).padStart(8)} ${share}%  ${path}`);
    }
    console.log(`${String(total).padStart(8)}  unminified, in total`);
  }
  const kib = (n: number) => (n / 1024).toFixed(1);
  console.log(
    `Browser page (${ENTRY}): ${size.minified} bytes minified, ${size.gzipped} bytes gzipped (${
      kib(size.gzipped)
    } KiB); budget ${budget} bytes (${kib(budget)} KiB), goal 14336`,
  );
  if (size.gzipped > budget) {
    console.error(
      `Bundle too large: ${size.gzipped} gzipped bytes, over the budget of ${budget} by ${
        size.gzipped - budget
      }`,
    );
    Deno.exit(1);
  }
}
