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
