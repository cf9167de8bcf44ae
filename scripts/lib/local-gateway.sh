# Sourced by the scripts that exercise a running API (check-openapi-responses,
# check-robustness): builds the `local` binary and starts `local serve` on a
# free loopback port with fresh state, stopped (and its state removed) when
# the sourcing script exits. Needs a python3 to find the port.
#
# After `start_local_gateway`: $gateway_url (http://127.0.0.1:PORT),
# $gateway_data (its --data-dir, for `local token`), $gateway_local (the
# binary), $gateway_pid; its log is "$gateway_data/serve.log".

start_local_gateway() {
    cargo build -q -p local
    gateway_local=./target/debug/local
    gateway_data="$(mktemp -d)"
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    gateway_url="http://127.0.0.1:$port"
    "$gateway_local" --data-dir "$gateway_data" serve --addr "127.0.0.1:$port" --dns-addr 127.0.0.1:0 >"$gateway_data/serve.log" 2>&1 &
    gateway_pid=$!
    trap 'kill "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" 2>/dev/null || true; rm -rf "$gateway_data"' EXIT
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$gateway_url/me" && return 0
        sleep 0.1
    done
    echo "the local gateway did not start:" >&2
    tail -n 20 "$gateway_data/serve.log" >&2
    return 1
}
