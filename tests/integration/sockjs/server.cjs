// A SockJS server (npm `sockjs`, the server of the SockJS protocol that
// Spring also speaks) that bridges every SockJS session to a TCP connection
// to a STOMP broker, as Spring's STOMP relay does: each SockJS message goes
// to the broker as it is, and what the broker writes comes back as SockJS
// messages. It also serves the files of STATIC_DIR, so that a page and its
// SockJS endpoint share one origin.
//
// Run by sockjs_test.ts under /usr/bin/node with NODE_PATH at the npm
// install: BROKER_PORT (the broker on 127.0.0.1), STATIC_DIR (optional).
// Prints {"port": N} once listening; exits when stdin closes.

"use strict";

const http = require("node:http");
const net = require("node:net");
const fs = require("node:fs");
const path = require("node:path");
const { StringDecoder } = require("node:string_decoder");
const sockjs = require("sockjs");

const brokerPort = Number(process.env.BROKER_PORT);
const staticDir = process.env.STATIC_DIR;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
};

const server = sockjs.createServer({ log() {} });
const stats = { sessions: 0, transports: {} };
server.on("connection", (conn) => {
  stats.sessions++;
  stats.transports[conn.protocol] = (stats.transports[conn.protocol] ?? 0) + 1;
  const broker = net.connect({
    host: "127.0.0.1",
    port: brokerPort,
    noDelay: true,
  });
  // TCP chunks can end inside a UTF-8 sequence: decode across them.
  const decoder = new StringDecoder("utf8");
  broker.on("data", (chunk) => {
    const text = decoder.write(chunk);
    if (text !== "") conn.write(text);
  });
  broker.on("close", () => conn.close(1000, "Broker closed the connection"));
  broker.on("error", () => {});
  conn.on("data", (message) => broker.write(message, "utf8"));
  conn.on("close", () => broker.end());
});

const httpServer = http.createServer((request, response) => {
  const name = new URL(request.url, "http://x").pathname;
  if (name === "/stats") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(stats));
    return;
  }
  const file = staticDir &&
    path.join(staticDir, name === "/" ? "index.html" : path.basename(name));
  if (!file || !fs.existsSync(file)) {
    response.writeHead(404);
    response.end("not found");
    return;
  }
  response.writeHead(200, {
    "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
  });
  response.end(fs.readFileSync(file));
});
server.installHandlers(httpServer, { prefix: "/stomp" });
httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
