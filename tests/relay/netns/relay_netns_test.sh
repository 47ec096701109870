#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Relay namespace test: two nodes with userspace tunnel peers and NO route between them communicate
# through rustynet-relay in a third namespace. Also: replayed/expired/forged/wrong-relay tickets are
# refused, a flood from an unauthorised source does not disturb the session, a relay restart is
# survived (links re-allocate with fresh tickets). Mode "bench" also measures relayed vs direct
# throughput with iperf3. Needs root; creates and always removes its own namespaces.
# Usage: relay_netns_test.sh RELAY_BIN TOOL_BIN [test|bench]
set -euo pipefail

RELAY_BIN=$1
TOOL=$2
MODE=${3:-test}
[[ $(id -u) == 0 ]] || { echo "FAIL: needs root" >&2; exit 1; }
TUNNEL_TOOL=wg
TUNNEL_DAEMON=wireguard-go
for tool in ip "$TUNNEL_TOOL" "$TUNNEL_DAEMON" ping iperf3; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed" >&2; exit 1; }
done

ID=$$
NS_R=rnrel${ID}r
NS_A=rnrel${ID}a
NS_B=rnrel${ID}b
TA=rnt${ID}a
TB=rnt${ID}b
WORK=$(mktemp -d)
RELAY_PID=""
PIDS=()
SOCK_DIR=/var/run/wireguard

cleanup() {
  set +e
  [[ -n $RELAY_PID ]] && kill "$RELAY_PID" 2> /dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null; done
  wait 2> /dev/null
  for ns in "$NS_A" "$NS_B" "$NS_R"; do ip netns del "$ns" 2> /dev/null; done
  rm -f "$SOCK_DIR/$TA.sock" "$SOCK_DIR/$TB.sock"
  if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- relay log" >&2
  tail -n 30 "$WORK/relay.log" >&2 || true
  exit 1
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Topology: A (10.201.1.1) -- R (10.201.1.2 | 10.201.2.2) -- B (10.201.2.1); R does not forward.
for ns in "$NS_R" "$NS_A" "$NS_B"; do
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
done
ip link add "rva$ID" netns "$NS_A" type veth peer name "rra$ID" netns "$NS_R"
ip link add "rvb$ID" netns "$NS_B" type veth peer name "rrb$ID" netns "$NS_R"
in_ns "$NS_A" ip addr add 10.201.1.1/24 dev "rva$ID"
in_ns "$NS_R" ip addr add 10.201.1.2/24 dev "rra$ID"
in_ns "$NS_B" ip addr add 10.201.2.1/24 dev "rvb$ID"
in_ns "$NS_R" ip addr add 10.201.2.2/24 dev "rrb$ID"
for pair in "$NS_A:rva$ID" "$NS_R:rra$ID" "$NS_B:rvb$ID" "$NS_R:rrb$ID"; do
  in_ns "${pair%%:*}" ip link set "${pair##*:}" up
done
in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=0

if in_ns "$NS_A" ping -c1 -W1 10.201.2.1 > /dev/null 2>&1; then fail "A can reach B directly"; fi

# Relay with the test control key.
PUB=$("$TOOL" pubkey)
cat > "$WORK/relay.json" << JSON
{"version": 1, "relay_id": "relay-ns", "listen": "0.0.0.0:3478", "control_public_key": "$PUB",
 "stats_interval_seconds": 5}
JSON
start_relay() {
  ip netns exec "$NS_R" "$RELAY_BIN" --config "$WORK/relay.json" >> "$WORK/relay.log" 2>&1 &
  RELAY_PID=$!
  sleep 0.5
  kill -0 "$RELAY_PID" || fail "relay did not start"
}
start_relay

# Tunnel peers (userspace), each pointing its peer endpoint at its local relay link.
for side in a b; do
  "$TUNNEL_TOOL" genkey > "$WORK/$side.key"
  "$TUNNEL_TOOL" pubkey < "$WORK/$side.key" > "$WORK/$side.pub"
done
start_tunnel() {  # ns ifname key peer_pub address peer_address
  local ns=$1 dev=$2
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 "$TUNNEL_DAEMON" "$dev" > "$WORK/$dev.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do [[ -S $SOCK_DIR/$dev.sock ]] && break; sleep 0.1; done
  in_ns "$ns" "$TUNNEL_TOOL" set "$dev" private-key "$3" listen-port 51820 \
    peer "$(cat "$4")" allowed-ips "$6/32" endpoint 127.0.0.1:40001 persistent-keepalive 1
  in_ns "$ns" ip addr add "$5/24" dev "$dev"
  in_ns "$ns" ip link set "$dev" mtu 1420 up
}
start_tunnel "$NS_A" "$TA" "$WORK/a.key" "$WORK/b.pub" 10.99.0.1 10.99.0.2
start_tunnel "$NS_B" "$TB" "$WORK/b.key" "$WORK/a.pub" 10.99.0.2 10.99.0.1

issue_tickets() {
  "$TOOL" ticket node-a node-b 7 relay-ns "$WORK/ticket-a"
  "$TOOL" ticket node-b node-a 7 relay-ns "$WORK/ticket-b"
}
issue_tickets
# RELAY_LINK_OFFLOAD=off (ctest relay_netns_test_no_offload) runs the links without UDP GSO/GRO.
ip netns exec "$NS_A" "$TOOL" link 10.201.1.2:3478 127.0.0.1:40001 127.0.0.1:51820 "$WORK/ticket-a" 2> "$WORK/link-a.log" &
LINK_A=$!
PIDS+=("$LINK_A")
ip netns exec "$NS_B" "$TOOL" link 10.201.2.2:3478 127.0.0.1:40001 127.0.0.1:51820 "$WORK/ticket-b" 2> "$WORK/link-b.log" &
LINK_B=$!
PIDS+=("$LINK_B")

wait_ping() {
  for _ in $(seq "$1"); do
    in_ns "$NS_A" ping -c1 -W1 10.99.0.2 > /dev/null 2>&1 && return 0
  done
  return 1
}
wait_ping 15 || fail "no tunnel traffic through the relay"
in_ns "$NS_A" ping -c5 -i0.2 -W2 10.99.0.2 > /dev/null || fail "relayed ping lost packets"
in_ns "$NS_B" ping -c3 -i0.2 -W2 10.99.0.1 > /dev/null || fail "relayed ping B->A failed"
echo "ok: tunnel peers communicate through the relay, no direct route"

# Ticket refusals (each from a fresh address in A; --once exits 3 when rejected).
expect_refused() {
  local what=$1 ticket=$2
  if in_ns "$NS_A" "$TOOL" link 10.201.1.2:3478 127.0.0.1:0 127.0.0.1:9 "$ticket" --once 2> "$WORK/once.log"; then
    fail "$what ticket accepted"
  fi
  grep -q "rejected: $3" "$WORK/once.log" || fail "$what: expected 'rejected: $3', got: $(cat "$WORK/once.log")"
  echo "ok: $what ticket refused ($3)"
}
expect_refused replayed "$WORK/ticket-a" replayed
"$TOOL" ticket node-a node-c 8 relay-ns "$WORK/ticket-expired" 400 60
expect_refused expired "$WORK/ticket-expired" expired
"$TOOL" ticket node-a node-c 9 relay-other "$WORK/ticket-wrong-relay"
expect_refused wrong-relay "$WORK/ticket-wrong-relay" bad-ticket
"$TOOL" ticket node-a node-c 10 relay-ns "$WORK/ticket-forged"
size=$(stat -c %s "$WORK/ticket-forged")
printf '\x00' | dd of="$WORK/ticket-forged" bs=1 seek=$((size - 10)) conv=notrunc status=none
expect_refused forged "$WORK/ticket-forged" bad-ticket

# Flood from an unauthorised source (in B's namespace) while A pings B through the relay.
ip netns exec "$NS_B" "$TOOL" flood 10.201.2.2:3478 6 2> "$WORK/flood.log" &
FLOOD_PID=$!
sleep 0.5
received=$(in_ns "$NS_A" ping -c20 -i0.2 -W2 10.99.0.2 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
wait "$FLOOD_PID" || true
((received >= 18)) || fail "flood disturbed the session: $received/20 pings"
echo "ok: session survived a flood from an unauthorised source ($received/20 pings, $(cat "$WORK/flood.log"))"

# Relay restart: links notice missing keepalive acks, re-read their (renewed) tickets, re-allocate.
kill "$RELAY_PID"
wait "$RELAY_PID" 2> /dev/null || true
sleep 1
issue_tickets
start_relay
wait_ping 30 || fail "tunnel did not recover after relay restart"
echo "ok: relay restart survived"

if [[ $MODE == bench ]]; then
  iperf() {  # prints Gbit/s of a TCP stream A -> B through the tunnel
    ip netns exec "$NS_B" iperf3 -s -1 -B 10.99.0.2 > /dev/null 2>&1 &
    local server=$!
    sleep 0.5
    in_ns "$NS_A" iperf3 -c 10.99.0.2 -t "${BENCH_SECONDS:-5}" -J 2> /dev/null |
      python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
    wait "$server" 2> /dev/null || true
  }
  rtt() {  # average RTT in ms of 50 pings A -> B through the tunnel
    in_ns "$NS_A" ping -c50 -i0.02 -W2 10.99.0.2 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p'
  }
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$RELAY_PID/stat"; }
  # Direct path in the same run: R forwards, the peers point at each other. Switching back and
  # forth (BENCH_ROUNDS times, medians reported) spreads the noise of a shared machine evenly.
  in_ns "$NS_A" ip route add 10.201.2.0/24 via 10.201.1.2
  in_ns "$NS_B" ip route add 10.201.1.0/24 via 10.201.2.2
  use_direct() {
    in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$NS_A" "$TUNNEL_TOOL" set "$TA" peer "$(cat "$WORK/b.pub")" endpoint 10.201.2.1:51820
    in_ns "$NS_B" "$TUNNEL_TOOL" set "$TB" peer "$(cat "$WORK/a.pub")" endpoint 10.201.1.1:51820
    wait_ping 5 || fail "direct path did not come up"
  }
  use_relay() {
    in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=0
    in_ns "$NS_A" "$TUNNEL_TOOL" set "$TA" peer "$(cat "$WORK/b.pub")" endpoint 127.0.0.1:40001
    in_ns "$NS_B" "$TUNNEL_TOOL" set "$TB" peer "$(cat "$WORK/a.pub")" endpoint 127.0.0.1:40001
    wait_ping 5 || fail "relayed path did not come back"
  }
  seconds=${BENCH_SECONDS:-5}
  relayed_all=() direct_all=() relayed_rtt_all=() direct_rtt_all=()
  relay_cpu_seconds=0
  relayed_gbit=0
  for round in $(seq "${BENCH_ROUNDS:-3}"); do
    use_relay
    relayed_rtt_all+=("$(rtt)")
    ticks_before=$(cpu_ticks)
    value=$(iperf)
    ticks_after=$(cpu_ticks)
    relayed_all+=("$value")
    relay_cpu_seconds=$(python3 -c "print($relay_cpu_seconds + ($ticks_after - $ticks_before) / $(getconf CLK_TCK))")
    relayed_gbit=$(python3 -c "print($relayed_gbit + $value * $seconds)")
    use_direct
    direct_rtt_all+=("$(rtt)")
    direct_all+=("$(iperf)")
    echo "bench: round $round: relayed ${relayed_all[-1]} Gbit/s, direct ${direct_all[-1]} Gbit/s"
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
  relayed=$(median "${relayed_all[@]}")
  direct=$(median "${direct_all[@]}")
  echo "bench: median relayed ${relayed} Gbit/s, direct ${direct} Gbit/s (TCP, ${seconds} s per run)"
  python3 -c "print('bench: relayed/direct = %.1f%%' % (100.0*$relayed/$direct))"
  echo "bench: median rtt relayed $(median "${relayed_rtt_all[@]}") ms, direct $(median "${direct_rtt_all[@]}") ms"
  python3 -c "print('bench: relay CPU %.2f s for %.2f Gbit = %.2f CPU-s per Gbit' % ($relay_cpu_seconds, $relayed_gbit, $relay_cpu_seconds/$relayed_gbit))"
fi
# The links print what their sockets did when they stop (datagrams per message, GSO sends, fallbacks).
kill "$LINK_A" "$LINK_B" 2> /dev/null || true
wait "$LINK_A" "$LINK_B" 2> /dev/null || true
echo "links (offload ${RELAY_LINK_OFFLOAD:-on}):"
grep -h "side:" "$WORK/link-a.log" "$WORK/link-b.log" || fail "links did not report their socket stats"
if [[ $MODE == bench && ${RELAY_LINK_OFFLOAD:-on} != off ]]; then
  # A bulk TCP transfer gives the sending link runs of equal-size datagrams: GSO must have been used.
  grep -q "relay side: gso on, .*([1-9][0-9]* gso" "$WORK/link-a.log" || fail "link A never sent a GSO run"
fi
tail -n 3 "$WORK/relay.log"
echo "PASS"
