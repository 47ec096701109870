#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The secrets scan of an end-to-end run (scripts/ci/log_scan.py) over the layout of
# scripts/lib/mesh-run.sh: every log and CLI output under $MR_STATE against the run's own key
# material. Sourced by tests/e2e/*.sh after mesh-run.sh; uses MR_STATE and REPO.

# scan_tunnel_key IFACE OUT: the tunnel private key the data plane runs with, read from the
# userspace WireGuard daemon's UAPI socket into OUT (0600, hex); never printed. While it runs.
scan_tunnel_key() {
  mkdir -p "$(dirname "$2")"
  (umask 077 && python3 - "/var/run/wireguard/$1.sock" "$2" << 'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"get=1\n\n")
data = b""
while not data.endswith(b"\n\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
keys = [line[len(b"private_key="):] for line in data.split(b"\n") if line.startswith(b"private_key=")]
if len(keys) != 1 or len(keys[0]) != 64:
    sys.exit(1)
with open(sys.argv[2], "wb") as out:
    out.write(keys[0] + b"\n")
PY
  )
}

# Arguments for log_scan.py naming every secret of the run: operator secret, key stores (nodes,
# admin, control), the control's TLS private key, tunnel keys saved by scan_tunnel_key, relay
# tickets captured off the wire ($MR_STATE/captured.tickets, one hex ticket a line).
scan_secret_args() {
  local file n=0 line
  for file in "$MR_STATE/operator.secret" "$MR_STATE"/*/keys/* "$MR_STATE"/admin-keys/* "$MR_STATE"/secrets/*; do
    [[ -f $file ]] && echo "--secret-file=${file#"$MR_STATE"/}=$file"
  done
  file=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"]["private_key_file"])' "$MR_STATE/control/control.json" 2> /dev/null)
  [[ -f $file ]] && echo "--secret-file=control TLS key=$file"
  if [[ -f $MR_STATE/captured.tickets ]]; then
    while read -r line; do
      n=$((n + 1))
      echo "--secret=relay ticket $n=$line"
    done < "$MR_STATE/captured.tickets"
  fi
}

# Every file a program or the CLI wrote as output: process logs and saved command outputs.
scan_log_paths() {
  echo "$MR_STATE/logs"
  find "$MR_STATE" -maxdepth 2 -type f \( -name '*.out' -o -name '*.log' \) -not -path "$MR_STATE/logs/*" -not -name log_scan.out
}

# scan_run_logs [PATH...]: the scan over the run's logs (or PATHs); output in $MR_STATE/log_scan.out.
scan_run_logs() {
  local secrets=() logs=() status=0
  mapfile -t secrets < <(scan_secret_args)
  if (($#)); then logs=("$@"); else mapfile -t logs < <(scan_log_paths); fi
  python3 "$REPO/scripts/ci/log_scan.py" --require-secrets 4 --logs "${logs[@]}" "${secrets[@]}" \
    > "$MR_STATE/log_scan.out" 2>&1 || status=$?
  sed 's/^/    /' "$MR_STATE/log_scan.out" | tail -n 20
  return "$status"
}

# scan_catches_plant NODE: a copy of the logs with NODE's tunnel key (base64, as a config would
# show it) appended to one line must fail the scan, naming that key.
scan_catches_plant() {
  local copy=$MR_STATE/planted key_b64 first
  rm -rf "$copy"
  cp -r "$MR_STATE/logs" "$copy"
  first=$(find "$copy" -type f -name '*.log' | sort | head -n 1)
  key_b64=$(python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(open(sys.argv[1]).read().strip())).decode())' "$MR_STATE/secrets/$1.tunnel")
  echo "peer config loaded: key $key_b64" >> "$first"
  ! scan_run_logs "$copy" > /dev/null && grep -q "secrets/$1.tunnel (base64)" "$MR_STATE/log_scan.out"
  local caught=$?
  rm -rf "$copy"
  return "$caught"
}
