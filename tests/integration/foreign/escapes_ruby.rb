# ruby-stomp sends itself one message whose headers hold the characters each
# STOMP version escapes differently, and a binary body with NUL in it,
# through a broker; prints what it received as JSON (the last stdout line).
# Driven by tests/integration/interop_escapes_test.ts.
#
#   /usr/bin/ruby escapes_ruby.rb '{"port": ..., "version": "1.1", "headers": {...}, ...}'

require "base64"
require "json"
require "stomp"

config = JSON.parse(ARGV[0])
version = config["version"]
# ruby-stomp refuses a host header without accept-version: 1.0 sends neither.
connect_headers =
  version == "1.0" ? {} : { "accept-version" => version, "host" => "/" }
connection = Stomp::Connection.new(
  hosts: [{ login: config["login"], passcode: config["passcode"],
            host: config["host"], port: config["port"] }],
  connect_headers: connect_headers, reliable: false, connect_timeout: 5,
)
connection.subscribe(config["queue"], { id: "s-1", ack: "auto" })
connection.publish(config["queue"], Base64.strict_decode64(config["body"]),
                   config["headers"])
message = connection.receive
unless message.command == "MESSAGE"
  warn "ruby: #{message.command} #{message.headers.inspect} #{message.body}"
  exit 1
end
connection.disconnect
puts JSON.generate({
  "headers" => message.headers.select { |k, _| config["headers"].key?(k) },
  "body" => Base64.strict_encode64(message.body),
})
