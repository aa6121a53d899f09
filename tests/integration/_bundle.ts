// Bundles the library (or a page that imports it) into one ES module with
// `deno bundle`, for Chromium and Node, into a temporary directory: build
// output is never written into the tree.

const ROOT = new URL("../../", import.meta.url);

/**
 * The import map the tests themselves run with, when it is the offline one
 * (jsr.io unreachable): the bundle must resolve @std/* the same way.
 */
export function importMapArgs(): string[] {
  const resolved = import.meta.resolve("@std/bytes");
  return resolved.includes("/tests/offline/")
    ? [
      `--import-map=${new URL("tests/offline/import_map.json", ROOT).pathname}`,
    ]
    : [];
}

/**
 * Bundles `entry` (a path relative to the repository root) for the browser
 * platform, which also suits Node: the library uses Web APIs only, and
 * touches `Deno.*` only inside the Deno transport's functions.
 *
 * @returns The bundle's text.
 */
export async function bundle(entry: string, outFile: string): Promise<string> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      ...importMapArgs(),
      "--platform=browser",
      "--format=esm",
      `--output=${outFile}`,
      new URL(entry, ROOT).pathname,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stderr, stdout } = await command.output();
  if (code !== 0) {
    const decoder = new TextDecoder();
    throw new Error(
      `deno bundle ${entry} failed (exit ${code}):\n${decoder.decode(stdout)}${
        decoder.decode(stderr)
      }`,
    );
  }
  return await Deno.readTextFile(outFile);
}

/** What a Node process printed and how it exited. */
export interface NodeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** How {@linkcode runUnderNode} runs Node. */
export interface RunUnderNodeOptions {
  /** Options for Node before the script, such as `--experimental-websocket`. */
  nodeArgs?: string[];
}

// One bundle of mod.ts per test process: the sources do not change mid-run.
let libraryBundle: Promise<string> | undefined;

/**
 * Runs an ES module under /usr/bin/node in a temporary directory where
 * `import ... from "@stomper/stomp"` resolves to a bundle of mod.ts.
 *
 * @param script The module's source.
 * @param env Environment for Node.
 * @param options Node's own options.
 */
export async function runUnderNode(
  script: string,
  env: Record<string, string>,
  options: RunUnderNodeOptions = {},
): Promise<NodeRun> {
  const dir = await Deno.makeTempDir({ prefix: "stomper-node-" });
  try {
    const pkg = `${dir}/node_modules/@stomper/stomp`;
    await Deno.mkdir(pkg, { recursive: true });
    if (libraryBundle === undefined) {
      libraryBundle = bundle("mod.ts", `${pkg}/mod.js`);
      libraryBundle.catch(() => libraryBundle = undefined);
      await libraryBundle;
    } else {
      await Deno.writeTextFile(`${pkg}/mod.js`, await libraryBundle);
    }
    await Deno.writeTextFile(
      `${pkg}/package.json`,
      JSON.stringify({
        name: "@stomper/stomp",
        type: "module",
        exports: "./mod.js",
      }),
    );
    await Deno.writeTextFile(`${dir}/main.mjs`, script);
    const output = await new Deno.Command("/usr/bin/node", {
      args: [...(options.nodeArgs ?? []), `${dir}/main.mjs`],
      env,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
