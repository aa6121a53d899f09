// The SockJS side of sockjs_test.ts and burst.ts: sockjs and sockjs-client
// from npm, installed on first use into a cache directory outside the tree
// (the npm registry must be reachable then), and server.cjs under Node.

/** Node, as Debian installs it. */
export const NODE = "/usr/bin/node";
const NPM_PACKAGES = ["sockjs@0.3.24", "sockjs-client@1.6.1"];
const SERVER = new URL("./server.cjs", import.meta.url).pathname;

/** The npm directory, installed on first use. */
function npmDirectory(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") ??
    `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/stomper/sockjs-npm`;
}

async function installed(dir: string): Promise<boolean> {
  try {
    await Deno.stat(`${dir}/node_modules/sockjs-client/dist/sockjs.min.js`);
    await Deno.stat(`${dir}/node_modules/sockjs/package.json`);
    return true;
  } catch {
    return false;
  }
}

let npmReady: Promise<string> | undefined;

/**
 * The directory where sockjs and sockjs-client are installed, installing
 * them on first use.
 */
export function npmPackages(): Promise<string> {
  npmReady ??= (async () => {
    const dir = npmDirectory();
    if (await installed(dir)) return dir;
    await Deno.mkdir(dir, { recursive: true });
    const output = await new Deno.Command("npm", {
      args: ["install", "--prefix", dir, ...NPM_PACKAGES, "--no-fund"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(300_000),
    }).output();
    if (output.code !== 0 || !(await installed(dir))) {
      throw new Error(
        `Cannot install ${NPM_PACKAGES.join(" ")} into ${dir}: ${
          new TextDecoder().decode(output.stderr).trim()
        }; run "npm install --prefix ${dir} ${
          NPM_PACKAGES.join(" ")
        }" (the npm registry must be reachable)`,
      );
    }
    return dir;
  })();
  return npmReady;
}

/** The SockJS server of server.cjs, bridging to `brokerPort`. */
export interface SockJsServer extends AsyncDisposable {
  readonly origin: string;
  /** How many SockJS sessions it had, by transport. */
  stats(): Promise<{ sessions: number; transports: Record<string, number> }>;
}

/**
 * Starts server.cjs under Node; `staticDir`, if given, is served too (a
 * page and its SockJS endpoint then share one origin).
 */
export async function startServer(
  npmDir: string,
  brokerPort: number,
  staticDir?: string,
): Promise<SockJsServer> {
  const child = new Deno.Command(NODE, {
    args: [SERVER],
    env: {
      NODE_PATH: `${npmDir}/node_modules`,
      BROKER_PORT: String(brokerPort),
      ...(staticDir === undefined ? {} : { STATIC_DIR: staticDir }),
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Its first line says where it listens; nothing else is printed.
  let line = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    line += decoder.decode(chunk, { stream: true });
    if (line.includes("\n")) break;
  }
  if (!line.includes("\n")) {
    await child.status;
    throw new Error(`${SERVER} exited before listening`);
  }
  const { port } = JSON.parse(line) as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    async stats() {
      const response = await fetch(`${origin}/stats`);
      return await response.json();
    },
    async [Symbol.asyncDispose]() {
      // The server exits when its stdin closes.
      await child.stdin.close();
      await child.status;
    },
  };
}
