# shellcheck shell=bash
# ActiveMQ: Debian's activemq package run as a bare JVM, with its state and the config
# from templates/activemq/ under $DIR/activemq.

AMQ_BASE=$DIR/activemq

write_activemq_config() {
  rm -rf "$AMQ_BASE"
  mkdir -p "$AMQ_BASE/conf" "$AMQ_BASE/data" "$AMQ_BASE/tmp"
  # persistent=false: nothing survives a restart, and no KahaDB files to lock or clean.
  # No authentication plugin: any login is accepted (tests use guest/guest everywhere).
  # (.xml.in, not .xml: `deno fmt` would reformat the template.)
  render activemq/activemq.xml.in >"$AMQ_BASE/conf/activemq.xml"
  # Debian's ActiveMQ logs through log4j 1.2 (the log4j2.properties it ships is never
  # read: the broker then logs nothing at all), so configure 1.2. Console only: launch()
  # sends it to logs/activemq.log.
  render activemq/log4j.properties >"$AMQ_BASE/conf/log4j.properties"
  chown -R activemq "$AMQ_BASE/data" "$AMQ_BASE/tmp"
}

# Java started directly (not /usr/bin/activemq, which sources /usr/share/activemq/
# activemq-options and re-execs through `su -`), so the pid file holds
# the JVM itself. The --add-opens list is the one /usr/bin/activemq uses for Java > 8.
# The heap is the 512 MB /usr/bin/activemq gives: at 256 MB, repeated runs of the 1 MiB
# end-to-end benchmark ran it out of memory.
launch_activemq() {
  local conf=$AMQ_BASE/conf
  launch activemq setpriv --reuid=activemq --regid=activemq --init-groups \
    java -Xms64m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Djava.io.tmpdir="$AMQ_BASE/tmp" \
    -Dlog4j.configuration="file:$conf/log4j.properties" \
    --add-reads=java.xml=java.logging \
    --add-opens java.base/java.security=ALL-UNNAMED \
    --add-opens java.base/java.net=ALL-UNNAMED \
    --add-opens java.base/java.lang=ALL-UNNAMED \
    --add-opens java.base/java.util=ALL-UNNAMED \
    --add-opens java.naming/javax.naming.spi=ALL-UNNAMED \
    --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED \
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
    --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED \
    --add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED \
    --add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED \
    -Dactivemq.classpath="$conf" \
    -Dactivemq.home=/usr/share/activemq \
    -Dactivemq.base="$AMQ_BASE" \
    -Dactivemq.conf="$conf" \
    -Dactivemq.data="$AMQ_BASE/data" \
    -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$conf/activemq.xml"
}
