#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Relay attacker for e2e_faults_test.sh: captures real relay tickets off the wire, then floods.

  capture --iface IF --port N --out FILE [--count K] [--seconds S]
      Run in the relay host's namespace (an on-path observer). Records the ticket of every relay
      hello seen on IF towards UDP port N (AF_PACKET), one hex line per distinct ticket, until K
      were seen or S seconds passed. The file is written once, at the end.
  flood --relay IP:PORT --sources IP[,IP...] --seconds S --rate R --tickets FILE --summary FILE
      Run in an attacker namespace holding the source addresses. For S seconds sends R datagrams
      per second from each source, a mix of: random bytes (random size), malformed hellos (relay
      magic + junk), hellos with random "tickets", hellos with a captured ticket
      whose signature or claims were altered (forged), and hellos with a captured ticket verbatim
      (replayed, from an address that never held it). Hellos pass the return-routability step the
      way a client does (the first carries a zero cookie, later ones the cookie the relay sent to
      that source), so forged and replayed tickets reach signature verification and the replay
      store. Writes a JSON summary: what was sent and
      every relay answer by kind and reject reason (an accept means the relay let the attacker in).

Protocol constants mirror libs/relay/include/rustynet/relay/protocol.hpp.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = b"\xffRNR"
VERSION = 1
HELLO, COOKIE, ACCEPT, REJECT, KEEPALIVE_ACK = 1, 2, 3, 4, 6
MIN_HELLO = 128
REASONS = {1: "bad-ticket", 2: "expired", 3: "replayed", 4: "relay-full", 5: "node-limit", 6: "address-in-use",
           7: "session-mismatch", 8: "busy", 9: "stale-ticket", 10: "clock-unavailable"}
ETH_P_IP = 0x0800


def hello(ticket, cookie=b"\0" * 16):
    body = MAGIC + bytes([VERSION, HELLO]) + cookie + struct.pack(">H", len(ticket)) + ticket
    return body + b"\0" * max(0, MIN_HELLO - len(body))


def ticket_of(payload):
    """The ticket of a relay hello, or None."""
    if len(payload) < MIN_HELLO or payload[:4] != MAGIC or payload[4] != VERSION or payload[5] != HELLO:
        return None
    (size,) = struct.unpack(">H", payload[22:24])
    ticket = payload[24:24 + size]
    return ticket if 0 < size == len(ticket) else None


def capture(args):
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sniffer.bind((args.iface, 0))
    tickets = []
    deadline = time.monotonic() + args.seconds
    while len(tickets) < args.count and time.monotonic() < deadline:
        ready, _, _ = select.select([sniffer], [], [], 0.2)
        if not ready:
            continue
        frame = sniffer.recv(65535)
        ip = frame[14:]
        if len(ip) < 20 or ip[9] != socket.IPPROTO_UDP:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        if len(udp) < 8 or struct.unpack(">H", udp[2:4])[0] != args.port:
            continue
        ticket = ticket_of(udp[8:])
        if ticket is not None and ticket not in tickets:
            tickets.append(ticket)
    with open(args.out, "w") as out:
        out.writelines(t.hex() + "\n" for t in tickets)
    print(f"capture: {len(tickets)} ticket(s)", file=sys.stderr)
    return 0 if tickets else 1


def forged_variants(ticket):
    """Captured-ticket forgeries: signature bit flipped; a claims byte changed (signature kept)."""
    signature_flipped = bytearray(ticket)
    signature_flipped[-1] ^= 0x01
    claims_changed = bytearray(ticket)
    claims_changed[len(ticket) // 2] ^= 0x20
    return [bytes(signature_flipped), bytes(claims_changed)]


def flood(args):
    relay_ip, relay_port = args.relay.rsplit(":", 1)
    relay = (relay_ip, int(relay_port))
    captured = [bytes.fromhex(line.strip()) for line in open(args.tickets) if line.strip()]
    if not captured:
        print("flood: no captured tickets", file=sys.stderr)
        return 1
    forged = [f for t in captured for f in forged_variants(t)]
    socks = []
    for source in args.sources.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        s.setblocking(False)
        socks.append(s)
    sent = {"random": 0, "malformed": 0, "hello_random_ticket": 0, "hello_forged": 0, "hello_replayed": 0,
            "hellos_with_cookie": 0, "send_errors": 0}
    answers = {"cookie": 0, "accept": 0, "keepalive_ack": 0, "other": 0}
    rejects = {}
    cookies = {}  # socket -> the cookie the relay issued to its address
    hello_kinds = ["hello_random_ticket", "hello_forged", "hello_replayed"]

    def send(s, data, kind):
        try:
            s.sendto(data, relay)
            sent[kind] += 1
        except OSError:
            sent["send_errors"] += 1

    def drain():
        for s in socks:
            while True:
                try:
                    reply = s.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    sent["send_errors"] += 1
                    break
                if len(reply) < 6 or reply[:4] != MAGIC:
                    answers["other"] += 1
                elif reply[5] == COOKIE and len(reply) == 22:
                    answers["cookie"] += 1
                    cookies[s] = reply[6:22]
                elif reply[5] == ACCEPT:
                    answers["accept"] += 1
                elif reply[5] == REJECT and len(reply) == 7:
                    reason = REASONS.get(reply[6], str(reply[6]))
                    rejects[reason] = rejects.get(reason, 0) + 1
                elif reply[5] == KEEPALIVE_ACK:
                    answers["keepalive_ack"] += 1
                else:
                    answers["other"] += 1

    # Paced in 10 ms slots so the rate holds without a busy loop.
    per_slot = max(1, round(args.rate / 100))
    start = time.monotonic()
    end = start + args.seconds
    slot = 0
    counter = 0
    while time.monotonic() < end:
        for s in socks:
            for _ in range(per_slot):
                counter += 1
                # Two in five datagrams are hellos. Which hello passes the relay's per-source limit
                # depends on timing, so their kind is drawn at random (each kind gets through).
                kind = ("random", "malformed", "hello", "hello", "random")[counter % 5]
                if kind == "hello":
                    kind = random.choice(hello_kinds)
                if kind == "random":
                    send(s, os.urandom(1 + counter % 1400), kind)
                elif kind == "malformed":
                    # Hellos that do not parse (short, or junk where the zero padding belongs).
                    junk = os.urandom(16 + counter % 200)
                    send(s, MAGIC + bytes([VERSION, HELLO]) + junk, kind)
                else:
                    if kind == "hello_random_ticket":
                        ticket = os.urandom(100 + counter % 300)
                    elif kind == "hello_forged":
                        ticket = forged[counter % len(forged)]
                    else:
                        ticket = captured[counter % len(captured)]
                    cookie = cookies.get(s)
                    if cookie is not None:
                        sent["hellos_with_cookie"] += 1
                    send(s, hello(ticket, cookie or b"\0" * 16), kind)
        drain()
        slot += 1
        pause = start + slot * 0.01 - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        drain()
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    total = sum(v for k, v in sent.items() if k not in ("send_errors", "hellos_with_cookie"))
    summary = {"seconds": round(elapsed, 2), "sources": len(socks), "sent": sent, "sent_total": total,
               "rate_per_second": round(total / elapsed), "answers": answers, "rejects": rejects}
    with open(args.summary, "w") as out:
        json.dump(summary, out)
    print("flood: " + json.dumps(summary), file=sys.stderr)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--count", type=int, default=2)
    c.add_argument("--seconds", type=float, default=30)
    f = sub.add_parser("flood")
    f.add_argument("--relay", required=True)
    f.add_argument("--sources", required=True)
    f.add_argument("--seconds", type=float, required=True)
    f.add_argument("--rate", type=int, required=True, help="datagrams per second per source")
    f.add_argument("--tickets", required=True)
    f.add_argument("--summary", required=True)
    args = parser.parse_args()
    return capture(args) if args.command == "capture" else flood(args)


if __name__ == "__main__":
    sys.exit(main())
