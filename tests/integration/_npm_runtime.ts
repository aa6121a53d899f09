// Runtimes the integration tests install from npm on first use (Bun,
// workerd), into a cache outside the tree, and the library bundled as the
// package `@stomper/stomp` for them to import.

import { bundle, importMapArgs } from "./_bundle.ts";

/** A runtime from npm: the package, its pinned version, its binary. */
export interface NpmRuntime {
  /** The npm package. */
  readonly name: string;
  /** The version installed, pinned so a test run is repeatable. */
  readonly version: string;
  /** The binary's name in `node_modules/.bin`. */
  readonly bin: string;
}

/** Bun, from the npm package that carries its binary. */
export const BUN: NpmRuntime = { name: "bun", version: "1.4.5", bin: "bun" };

/** workerd, the runtime of Cloudflare Workers. */
export const WORKERD: NpmRuntime = {
  name: "workerd",
  version: "1.20261123.1",
  bin: "workerd",
};

/**
 * Where installed runtimes are kept: `$STOMPER_RUNTIME_CACHE`, else
 * `$HOME/.cache/stomper`, else a directory under /tmp.
 */
export function runtimeCache(): string {
  const explicit = Deno.env.get("STOMPER_RUNTIME_CACHE");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME");
  return home ? `${home}/.cache/stomper` : "/tmp/stomper-runtime-cache";
}

async function runs(path: string): Promise<boolean> {
  try {
    const { code } = await new Deno.Command(path, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  } catch {
    return false;
  }
}

/**
 * The path of the runtime's binary, installed with `npm install` into the
 * cache when it is not there yet (a few seconds; the npm registry must be
 * reachable). The install goes to a fresh directory renamed into place, so
 * two test processes never see half an install.
 */
export async function installRuntime(runtime: NpmRuntime): Promise<string> {
  const dir = `${runtimeCache()}/${runtime.name}-${runtime.version}`;
  const binary = `${dir}/node_modules/.bin/${runtime.bin}`;
  if (await runs(binary)) return binary;
  await Deno.mkdir(runtimeCache(), { recursive: true });
  const staging = await Deno.makeTempDir({
    dir: runtimeCache(),
    prefix: `${runtime.name}-installing-`,
  });
  try {
    const spec = `${runtime.name}@${runtime.version}`;
    const { code, stdout, stderr } = await new Deno.Command("npm", {
      args: ["install", "--prefix", staging, spec, "--no-fund", "--no-audit"],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(300_000),
    }).output();
    if (code !== 0) {
      const decoder = new TextDecoder();
      throw new Error(
        `Cannot install ${spec} from npm (exit ${code}): ${
          decoder.decode(stdout)
        }${decoder.decode(stderr)}`,
      );
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(staging, dir).catch(async (error) => {
      // Another process installed it meanwhile.
      if (!(await runs(binary))) throw error;
    });
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  if (!(await runs(binary))) {
    throw new Error(
      `Cannot run ${binary} after installing ${runtime.name}@${runtime.version} from npm`,
    );
  }
  return binary;
}

// One bundle of mod.ts per test process: the sources do not change mid-run.
let libraryBundle: Promise<string> | undefined;

/**
 * Writes `dir/node_modules/@stomper/stomp`, a package whose one module is
 * mod.ts bundled with `deno bundle`, so that a script in `dir` can
 * `import ... from "@stomper/stomp"`.
 */
export async function writeLibraryPackage(dir: string): Promise<void> {
  const pkg = `${dir}/node_modules/@stomper/stomp`;
  await Deno.mkdir(pkg, { recursive: true });
  if (libraryBundle === undefined) {
    const building = await Deno.makeTempDir({ prefix: "stomper-bundle-" });
    libraryBundle = bundle("mod.ts", `${building}/mod.js`).finally(() =>
      Deno.remove(building, { recursive: true })
    );
    libraryBundle.catch(() => libraryBundle = undefined);
  }
  await Deno.writeTextFile(`${pkg}/mod.js`, await libraryBundle);
  await Deno.writeTextFile(
    `${pkg}/package.json`,
    JSON.stringify({
      name: "@stomper/stomp",
      type: "module",
      exports: "./mod.js",
    }),
  );
}

/** Where a service script runs: Deno, or Node with the library bundled. */
export type ServiceRuntime = "Deno" | "Node";

/**
 * Writes `script` to `service.mjs` in a fresh directory (beside the library
 * package for Node), and calls `run` with the command that runs it under
 * `runtime` in that directory, which goes when `run` settles.
 */
export async function inServiceDir(
  runtime: ServiceRuntime,
  script: string,
  run: (command: string[], dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `stomper-service-${runtime}-` });
  try {
    await Deno.writeTextFile(`${dir}/service.mjs`, script);
    if (runtime === "Node") await writeLibraryPackage(dir);
    await run(
      runtime === "Node" ? ["/usr/bin/node", "service.mjs"] : [
        Deno.execPath(),
        "run",
        ...importMapArgs(),
        "--allow-net=127.0.0.1,localhost",
        "--allow-env",
        "service.mjs",
      ],
      dir,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
