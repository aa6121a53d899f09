# ruby-stomp (Debian's ruby-stomp) against the test broker, with its own API
# (Stomp::Connection): connect, subscribe, publish (the second with a
# receipt), ACK, NACK (1.1 and 1.2) and the redelivery, DISCONNECT with a
# receipt. Driven by tests/integration/foreign_clients_test.ts, which passes
# one JSON config as ARGV[0] and reads one JSON result, the last stdout line.
# ruby-stomp has no WebSocket transport: TCP only.
#
#   /usr/bin/ruby ruby_stomp.rb '{"host": ..., "port": ..., "version": "1.2", ...}'

require "json"
require "timeout"
require "stomp"

config = JSON.parse(ARGV[0])
version = config["version"]
queue = config["queue"]
expected = version == "1.0" ? 2 : 3

# ruby-stomp speaks 1.0 when CONNECT names no version (and then refuses a
# host header); 1.1 and 1.2 need both.
connect_headers = version == "1.0" ? {} : { "accept-version" => version, "host" => "/" }
conn = Stomp::Connection.new(
  hosts: [{ login: config["login"], passcode: config["passcode"],
            host: config["host"], port: config["port"], ssl: false }],
  connect_headers: connect_headers,
  reliable: false,
  connect_timeout: 5,
)
connected = conn.connection_frame
if connected.command != "CONNECTED"
  warn "ruby_stomp: #{connected.command} #{connected.headers.inspect}"
  exit 1
end

ack_mode = version == "1.0" ? "client" : "client-individual"
conn.subscribe(queue, { "ack" => ack_mode, "id" => "sub-1" }, "sub-1")
conn.publish(queue, "one", { "n" => "1" })
conn.publish(queue, "two \u00fc", { "n" => "2", "receipt" => "r-send" })

received = []
receipts = []
Timeout.timeout(10) do
  while received.length < expected || !receipts.include?("r-send")
    frame = conn.receive
    case frame.command
    when "RECEIPT"
      receipts << frame.headers["receipt-id"]
    when "MESSAGE"
      headers = frame.headers
      redelivered = headers["redelivered"] == "true"
      received << {
        body: frame.body.force_encoding("UTF-8"),
        n: headers["n"],
        redelivered: redelivered,
      }
      # Each version's own ACK form, written by ruby-stomp.
      id, extra = case version
                  when "1.2" then [headers["ack"], {}]
                  when "1.1" then [headers["message-id"], { "subscription" => "sub-1" }]
                  else [headers["message-id"], {}]
                  end
      if headers["n"] == "2" && !redelivered && version != "1.0"
        conn.nack(id, extra)
      else
        conn.ack(id, extra)
      end
    else
      warn "ruby_stomp: #{frame.command} #{frame.headers.inspect} #{frame.body}"
      exit 1
    end
  end
end
conn.disconnect({ "receipt" => "r-bye" })
receipts << conn.disconnect_receipt.headers["receipt-id"]
puts JSON.generate({
  version: connected.headers["version"],
  server: connected.headers["server"],
  received: received,
  receipts: receipts,
})
