# shellcheck shell=bash
# The test certificates in $DIR: a CA, an unrelated CA and a server certificate signed by
# the first, for localhost and 127.0.0.1 (throwaway material, regenerated when missing).

make_ca() {
  local base=$1 cn=$2
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$cn" \
    -keyout "$DIR/$base.key" -out "$DIR/$base.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# Regenerated only when missing or near expiry, so clients that cached ca.pem keep working
# across restarts.
ensure_certs() {
  local f ok=1
  for f in ca.pem ca.key wrong-ca.pem server.pem server.key; do [[ -s $DIR/$f ]] || ok=""; done
  if [[ -n $ok ]] && openssl x509 -checkend 86400 -noout -in "$DIR/server.pem" >/dev/null &&
    openssl verify -CAfile "$DIR/ca.pem" "$DIR/server.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "generating test CA, wrong CA and server certificate in $DIR"
  make_ca ca "stomper test CA"
  make_ca wrong-ca "stomper unrelated CA"
  rm -f "$DIR/wrong-ca.key" # nothing is ever signed by it
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
  # Strict verifiers (rustls in Deno) need a SAN, an end-entity (CA:FALSE) cert and
  # serverAuth; both names because tests connect to "localhost" and to 127.0.0.1
  # (templates/certs/server.ext).
  openssl x509 -req -sha256 -days 3650 -in "$DIR/server.csr" -CA "$DIR/ca.pem" \
    -CAkey "$DIR/ca.key" -CAcreateserial -extfile "$TEMPLATES/certs/server.ext" \
    -out "$DIR/server.pem" 2>/dev/null
  rm -f "$DIR/server.csr" "$DIR/ca.srl"
  # Throwaway test key: readable so tests running as another user can serve TLS with it.
  chmod 644 "$DIR/server.key"
}
