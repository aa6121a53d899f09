// Serves examples/browser/ on 127.0.0.1, with its page scripts bundled for
// the browser by `deno bundle` into a temporary directory:
//
//   deno run -A examples/browser/serve.ts
//
// then open the printed addresses (two tabs to chat): `/` is the chat on the
// low-level codec (main.ts), `/client` the chat on StompClient (client.ts).
// PORT picks the port (default 8000; 0 for any free one).

const here = new URL("./", import.meta.url);
const root = new URL("../../", here);

// The port first: a port in use (another server on 8000) is said at once,
// before the bundling.
const portText = Deno.env.get("PORT") ?? "8000";
const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
if (!(port >= 0 && port <= 65535)) {
  console.error(
    `Cannot serve: PORT must be a port number from 0 to 65535 (0 for any free one), got ${
      JSON.stringify(portText)
    }`,
  );
  Deno.exit(2);
}

const html = "text/html; charset=utf-8";
const js = "text/javascript";
let ready: (files: Record<string, [string, string]>) => void;
const files = new Promise<Record<string, [string, string]>>((resolve) =>
  ready = resolve
);

let server: Deno.HttpServer<Deno.NetAddr>;
try {
  server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    async (request) => {
      const file = (await files)[new URL(request.url).pathname];
      return file === undefined
        ? new Response("Not found", { status: 404 })
        : new Response(file[0], { headers: { "content-type": file[1] } });
    },
  );
} catch (error) {
  if (!(error instanceof Deno.errors.AddrInUse)) throw error;
  console.error(
    `Cannot serve on 127.0.0.1:${port}: the port is in use; pick another with PORT (0 for any free one)`,
  );
  Deno.exit(1);
}

const dir = await Deno.makeTempDir({ prefix: "stomper-example-" });

// Bundle with the import map this script runs under, when it has one (the
// repository's offline map, tests/offline/import_map.json, maps @std/*).
const offline = import.meta.resolve("@std/bytes").includes("/tests/offline/");

async function bundle(entry: string): Promise<string> {
  const output = `${dir}/${entry.replace(/\.ts$/, ".js")}`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      ...(offline
        ? [
          `--import-map=${
            new URL("tests/offline/import_map.json", root).pathname
          }`,
        ]
        : []),
      "--platform=browser",
      `--output=${output}`,
      new URL(entry, here).pathname,
    ],
    cwd: root.pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    console.error(new TextDecoder().decode(stderr));
    if (!offline) {
      console.error(
        "Without jsr.io access, run it with the offline import map: deno run --import-map=tests/offline/import_map.json -A examples/browser/serve.ts",
      );
    }
    await Deno.remove(dir, { recursive: true });
    Deno.exit(1);
  }
  return await Deno.readTextFile(output);
}

const [mainJs, clientJs] = await Promise.all([
  bundle("main.ts"),
  bundle("client.ts"),
]);
ready!({
  "/": [await Deno.readTextFile(new URL("index.html", here)), html],
  "/main.js": [mainJs, js],
  "/client": [await Deno.readTextFile(new URL("client.html", here)), html],
  "/client.js": [clientJs, js],
});
await Deno.remove(dir, { recursive: true });

const address = `http://127.0.0.1:${server.addr.port}/`;
console.log(`Listening on ${address} (StompClient page: ${address}client)`);
