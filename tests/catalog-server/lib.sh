# Sourced by tests that need the local Update Catalog (after tests/lib.sh).
#   catsrv_start [build.py options]   make a CA and a certificate for
#       127.0.0.1 with openssl, build the .msu files and catalog.json, start
#       server.py on a free port (with $CATSRV_OPTS, e.g. "--rate 25").  Sets CATSRV_DIR, CATSRV_URL, CATSRV_CA,
#       CATSRV_LOG, CATSRV_PORT.  The server is stopped when the test exits.
#   catsrv_start_plain   a second server on the same files over plain
#       HTTP (after catsrv_start); sets CATSRV_HTTP_URL
#   catsrv_fault NAME [VALUE]   set a fault switch (see server.py)
#   catsrv_clear                clear every fault
#   catsrv_count PATTERN        how many logged requests match PATTERN
CATSRV_PID="" CATSRV_PLAIN_PID=""
catsrv_stop() {
	local p
	for p in $CATSRV_PID $CATSRV_PLAIN_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	CATSRV_PID="" CATSRV_PLAIN_PID=""
}
trap 'catsrv_stop; rm -rf "$T_TMP"' EXIT

catsrv_certs() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
	    -subj /CN=kbfix-test-CA \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$d/server.key" -out "$d/server.csr" \
	    -subj /CN=127.0.0.1 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -CAcreateserial -out "$d/server.pem" -days 2 \
	    -extfile "$d/ext.cnf" 2>/dev/null
}

catsrv_start() {
	local srcdir i
	srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	CATSRV_DIR=$T_TMP/catsrv
	mkdir -p "$CATSRV_DIR"
	catsrv_certs "$CATSRV_DIR" || { echo "# openssl failed"; return 1; }
	python3 "$srcdir/build.py" "$CATSRV_DIR" "$@" || return 1
	CATSRV_LOG=$CATSRV_DIR/requests.log
	: >"$CATSRV_LOG"
	python3 "$srcdir/server.py" --root "$CATSRV_DIR" \
	    --port-file "$CATSRV_DIR/port" --cert "$CATSRV_DIR/server.pem" \
	    --key "$CATSRV_DIR/server.key" --log "$CATSRV_LOG" ${CATSRV_OPTS:-} &
	CATSRV_PID=$!
	# the server hashes every file before it announces its port: 512 MB for
	# the benchmark
	for i in $(seq 600); do
		[ -f "$CATSRV_DIR/port" ] && break
		sleep 0.05
	done
	CATSRV_PORT=$(cat "$CATSRV_DIR/port") || return 1
	CATSRV_URL=https://127.0.0.1:$CATSRV_PORT
	CATSRV_CA=$CATSRV_DIR/ca.pem
	export CATSRV_URL CATSRV_CA
}

catsrv_start_plain() {
	local srcdir i
	srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	python3 "$srcdir/server.py" --root "$CATSRV_DIR" \
	    --port-file "$CATSRV_DIR/port-plain" --log "$CATSRV_LOG" &
	CATSRV_PLAIN_PID=$!
	for i in $(seq 100); do
		[ -f "$CATSRV_DIR/port-plain" ] && break
		sleep 0.05
	done
	CATSRV_HTTP_URL=http://127.0.0.1:$(cat "$CATSRV_DIR/port-plain") || return 1
}

catsrv_fault() {
	curl -sf --cacert "$CATSRV_CA" "$CATSRV_URL/_fault?set=$1&arg=${2:-1}" >/dev/null
}

catsrv_clear() {
	curl -sf --cacert "$CATSRV_CA" "$CATSRV_URL/_fault?clear" >/dev/null
}

catsrv_count() {
	grep -c -- "$1" "$CATSRV_LOG"
}
