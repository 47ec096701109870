#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the seed corpora in tests/fuzz/corpus/ (deterministic; run from anywhere).

Each target gets a few valid inputs (so the fuzzer starts deep inside the parser) and a few invalid
ones (truncated, wrong version, unknown field). Binary formats are written the way the C++ encoders
write them (big-endian integers, see libs/crypto/src/signed_codec.hpp); signed inputs use the fixed
harness keys (Ed25519 seeds of 32 equal bytes: 0x11 relay control key, 0x22 token key, 0x5A
envelope key). Needs python3-cryptography (Ed25519). Never put real keys or secrets here.
"""
import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NOW = 1_800_000_000


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as fh:
        fh.write(data)


def key(seed_byte):
    private = Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private, public


def key_id(public):
    return hashlib.blake2b(b"rustynet-key-id-v1" + public, digest_size=32).digest()[:8].hex()


ARTIFACT = {1: "node-state", 2: "policy-snapshot", 3: "relay-ticket"}


def envelope(seed_byte, artifact, subject, issued, expires, generation, payload):
    private, public = key(seed_byte)
    kid = key_id(public).encode()
    body = b"RNSA" + bytes([1, artifact, len(kid)]) + kid + struct.pack(">H", len(subject)) + subject.encode()
    body += struct.pack(">QQQI", issued, expires, generation, len(payload)) + payload
    message = b"rustynet/signed-artifact/v1/" + ARTIFACT[artifact].encode() + b"\0" + body
    return body + private.sign(message)


def j(value):
    return json.dumps(value, separators=(",", ":"))


def strict_json():
    t = "fuzz_strict_json"
    write(t, "object", '{"version":1,"a":[1,2.5,"x",null,true],"b":{"c":{}}}')
    write(t, "duplicate_key", '{"a":1,"a":2}')
    write(t, "trailing", '{"a":1} x')
    write(t, "deep", "[" * 20 + "]" * 20)
    write(t, "unicode", '{"s":"\\u00e9\\ud83d\\ude00","n":-1e308}')


POLICY = {
    "version": 1,
    "groups": {"admins": ["alice-laptop", "bob-laptop"]},
    "rules": [
        {"id": "admin-ssh", "action": "allow", "src": ["group:admins"], "dst": ["tag:server"],
         "protocol": "tcp", "ports": ["22", "8000-8080"]},
        {"id": "dns", "action": "allow", "src": ["*"], "dst": ["node:resolver-1"], "protocol": "udp", "ports": ["53"]},
        {"id": "lan", "action": "allow", "src": ["tag:laptop"], "dst": ["192.168.1.0/24", "fd00:1::/64"]},
        {"id": "quarantine", "action": "deny", "src": ["node:old-kiosk"], "dst": ["*"]},
    ],
}


def policy_document():
    t = "fuzz_policy_document"
    write(t, "docs_example", j(POLICY))
    write(t, "empty_rules", '{"rules":[],"version":1}')
    write(t, "host_bits", j({"version": 1, "rules": [{"id": "r", "action": "allow", "src": ["10.0.0.1/8"], "dst": ["*"]}]}))
    write(t, "undefined_group", j({"version": 1, "rules": [{"id": "r", "action": "deny", "src": ["group:x"], "dst": ["*"]}]}))
    write(t, "version2", '{"version":2,"rules":[]}')


NODE_STATE = {
    "version": 1, "node_id": "n1", "tags": ["web"], "addresses": ["100.64.0.1"],
    "policy_digest": "ab" * 32,
    "peers": [{"node_id": "n2", "tags": ["db"], "addresses": ["100.64.0.2", "fd00::2"],
               "tunnel_public_key": "02" * 32, "endpoints": ["192.0.2.2:51820", "[2001:db8::2]:51820"],
               "allowed_prefixes": ["100.64.0.2/32", "10.2.0.0/16"]}],
    "routes": [{"prefix": "10.2.0.0/16", "via": "n2"}],
}


def node_state():
    t = "fuzz_node_state"
    write(t, "two_nodes", j(NODE_STATE))
    write(t, "no_peers", j({**NODE_STATE, "peers": [], "routes": []}))
    write(t, "route_unknown_peer", j({**NODE_STATE, "routes": [{"prefix": "10.9.0.0/16", "via": "n9"}]}))
    write(t, "self_peer", j({**NODE_STATE, "peers": [{**NODE_STATE["peers"][0], "node_id": "n1"}], "routes": []}))
    # n2 may fall back to the relay on its own (candidate), n3 is always relayed (marked by control).
    relay_site = {"relay_id": "relay-1", "address": "198.51.100.7:3478"}
    write(t, "relay_candidate", j({**NODE_STATE, "peers": [
        {**NODE_STATE["peers"][0], "relay_candidate": relay_site},
        {"node_id": "n3", "tags": ["db"], "addresses": ["100.64.0.3"], "tunnel_public_key": "03" * 32,
         "endpoints": [], "allowed_prefixes": ["100.64.0.3/32"], "relay": relay_site}]}))


def crypto_policy():
    t = "fuzz_crypto_policy"
    write(t, "docs_example", j({"version": 1,
                                "allow": ["tls1.3", "ed25519", "x25519", "xchacha20-poly1305", "argon2id", "blake2b"],
                                "exceptions": [{"algorithm": "tls1.2", "risk_owner": "netops@example.org",
                                                "expires": "2027-01-31T00:00:00Z", "reason": "legacy monitor"}]}))
    write(t, "baseline_only", j({"version": 1, "allow": ["ed25519"]}))
    write(t, "denied_cbc", j({"version": 1, "allow": ["aes-128-cbc"]}))
    write(t, "timestamp", "2030-02-28T23:59:59Z")


def signed_envelope():
    t = "fuzz_signed_envelope"
    payload = j(NODE_STATE).encode()
    write(t, "node_state", b"\0" + envelope(0x5A, 1, "n1", NOW, NOW + 86400, 3, payload))
    write(t, "policy", b"\0" + envelope(0x5A, 2, "", NOW, NOW + 600, 1, j(POLICY).encode()))
    write(t, "truncated", b"\0" + envelope(0x5A, 1, "n1", NOW, NOW + 60, 1, b"{}")[:-10])
    # Trust state bodies (mode 1; the harness appends the MAC).
    _, public = key(0x5A)
    body = b"RNTS" + bytes([1]) + struct.pack(">H", 1) + public + struct.pack(">I", 1)
    body += bytes([1]) + struct.pack(">H", 2) + b"n1" + struct.pack(">Q", 7) + bytes(range(32))
    write(t, "trust_state", b"\1" + body)
    write(t, "trust_state_empty", b"\1" + b"RNTS" + bytes([1]) + struct.pack(">H", 0) + struct.pack(">I", 0))


def key_blob():
    t = "fuzz_key_blob"
    header = b"RNKEYBLB" + struct.pack(">H", 1) + bytes([1, 1]) + struct.pack(">II", 2, 64 * 1024)
    header += bytes(range(16)) + bytes([1]) + bytes(range(24)) + b"0123456789abcdef" + struct.pack(">H", 32)
    assert len(header) == 79
    blob = header + bytes(48)
    write(t, "identity_blob", bytes([0]) + blob)
    write(t, "tunnel_purpose_mismatch", bytes([0]) + blob[:10] + bytes([2]) + blob[11:])
    write(t, "huge_memlimit", bytes([0]) + blob[:16] + struct.pack(">I", 0xFFFFFFFF) + blob[20:])
    write(t, "truncated", bytes([0]) + blob[:60])
    write(t, "operator_secret", bytes([0xF0]) + b"correct horse battery staple\n")


def ticket_payload(node, peer):
    return bytes([1]) + bytes(range(16)) + bytes(range(16, 32)) + bytes([len(node)]) + node + bytes([len(peer)]) + peer


def ticket(node, peer, issued=NOW, lifetime=300, relay="relay-1"):
    return envelope(0x11, 3, relay, issued, issued + lifetime, 1, ticket_payload(node, peer))


def relay_ticket():
    t = "fuzz_relay_ticket"
    write(t, "valid", b"\0" + ticket(b"n1", b"n2"))
    write(t, "wrong_relay", b"\0" + ticket(b"n1", b"n2", relay="relay-2"))
    write(t, "expired", b"\0" + ticket(b"n1", b"n2", issued=NOW - 4000))
    write(t, "signed_payload", b"\x03" + ticket_payload(b"n1", b"n2"))
    write(t, "signed_same_nodes", b"\x03" + ticket_payload(b"n1", b"n1"))


def hello(ticket_bytes, cookie=bytes(16)):
    body = bytes([0xFF]) + b"RNR" + bytes([1, 1]) + cookie + struct.pack(">H", len(ticket_bytes)) + ticket_bytes
    return body + bytes(max(0, 128 - len(body)))


def record(control, datagram):
    return bytes([control]) + struct.pack(">H", len(datagram)) + datagram


def relay_packet():
    t = "fuzz_relay_packet"
    t1 = ticket(b"n1", b"n2")
    t2 = ticket(b"n2", b"n1")
    keepalive = bytes([0xFF]) + b"RNR" + bytes([1, 5])
    # Both sides: hello (cookie request), hello with the echoed cookie (bit 3), keepalive, data.
    session = record(0, hello(t1)) + record(8, hello(t1)) + record(1, hello(t2)) + record(9, hello(t2))
    session += record(0, keepalive) + record(0, bytes([4, 0, 0, 0]) + bytes(28)) + record(1, bytes([4, 0, 0, 0]) + bytes(60))
    write(t, "session", session)
    write(t, "hello_only", record(0, hello(t1)))
    write(t, "server_messages", record(2, bytes([0xFF]) + b"RNR" + bytes([1, 2]) + bytes(range(16)))
          + record(2, bytes([0xFF]) + b"RNR" + bytes([1, 4, 3])))
    write(t, "garbage", record(4, b"\xff\x00" * 20))


def relay_config():
    t = "fuzz_relay_config"
    _, public = key(0x11)
    write(t, "valid", j({"version": 1, "relay_id": "relay-1", "listen": "0.0.0.0:3478",
                         "control_public_key": base64.b64encode(public).decode(), "limits": {"max_sessions": 4096}}))
    write(t, "minimal_v6", j({"version": 1, "relay_id": "r", "listen": "[::]:3478",
                              "control_public_key": base64.b64encode(public).decode()}))
    write(t, "bad_key", j({"version": 1, "relay_id": "r", "listen": "0.0.0.0:1", "control_public_key": "AAAA"}))
    write(t, "unknown_limit", j({"version": 1, "relay_id": "r", "listen": "0.0.0.0:1",
                                 "control_public_key": base64.b64encode(public).decode(), "limits": {"max": 1}}))


def token():
    t = "fuzz_token"
    private, public = key(0x22)
    claims = {"version": 1, "kid": key_id(public), "jti": "t-1", "sub": "n1", "aud": "rustynet-control",
              "iat": NOW, "exp": NOW + 300, "nonce": "0123456789abcdef"}
    payload = j(claims).encode()
    signature = private.sign(b"rustynet-control-token-v1" + b"\0" + payload)
    write(t, "valid", base64.b64encode(payload) + b"." + base64.b64encode(signature))
    write(t, "version2", base64.b64encode(j({**claims, "version": 2}).encode()) + b"." + base64.b64encode(signature))
    write(t, "unknown_claim", base64.b64encode(j({**claims, "admin": True}).encode()) + b"." + base64.b64encode(signature))
    write(t, "three_parts", b"e30=.e30=.e30=")


def uapi_reply():
    t = "fuzz_uapi_reply"
    reply = ("private_key=" + "11" * 32 + "\nlisten_port=51820\nfwmark=0\n"
             "public_key=" + "22" * 32 + "\npreshared_key=" + "00" * 32 + "\nprotocol_version=1\n"
             "endpoint=192.0.2.2:51820\nlast_handshake_time_sec=1800000000\nlast_handshake_time_nsec=5\n"
             "tx_bytes=100\nrx_bytes=200\npersistent_keepalive_interval=25\n"
             "allowed_ip=100.64.0.2/32\nallowed_ip=fd00::/64\n"
             "public_key=" + "33" * 32 + "\nendpoint=[2001:db8::3]:4500\nallowed_ip=10.3.0.0/16\n"
             "errno=0\n\n")
    write(t, "get_reply", bytes([7]) + reply.encode())
    write(t, "set_ack", bytes([0]) + b"errno=0\n\n")
    write(t, "errno_negative", bytes([3]) + b"errno=-22\n\n")
    write(t, "bad_key", bytes([1]) + b"public_key=zz\nerrno=0\n\n")


def nlattr(kind, payload, nested=False):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind | (0x8000 if nested else 0)) + payload + bytes((-length) % 4)


def nlmsg(kind, flags, seq, payload):
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def netlink_reply():
    t = "fuzz_netlink_reply"
    family, seq = 0x1B, 7
    allowed = nlattr(0, nlattr(1, struct.pack("=H", 2)) + nlattr(2, bytes([100, 64, 0, 2])) + nlattr(3, bytes([32])),
                     nested=True)
    allowed += nlattr(0, nlattr(1, struct.pack("=H", 10)) + nlattr(2, bytes.fromhex("fd00" + "00" * 14))
                      + nlattr(3, bytes([64])), nested=True)
    endpoint = struct.pack("=H", 2) + struct.pack(">H", 51820) + bytes([192, 0, 2, 2]) + bytes(8)
    peer = nlattr(1, bytes([0x22]) * 32) + nlattr(4, endpoint) + nlattr(5, struct.pack("=H", 25))
    peer += nlattr(6, struct.pack("=qq", NOW, 5)) + nlattr(7, struct.pack("=Q", 200)) + nlattr(8, struct.pack("=Q", 100))
    peer += nlattr(9, allowed, nested=True)
    device = nlattr(1, struct.pack("=I", 4)) + nlattr(2, b"rn0\0") + nlattr(4, bytes([0x11]) * 32)
    device += nlattr(6, struct.pack("=H", 51820)) + nlattr(7, struct.pack("=I", 0))
    device += nlattr(8, nlattr(0, peer, nested=True), nested=True)
    dump = nlmsg(family, 2, seq, bytes([0, 1, 0, 0]) + device)  # WG_CMD_GET_DEVICE, NLM_F_MULTI
    done = nlmsg(3, 2, seq, struct.pack("=i", 0))

    def datagrams(*items):
        out = b""
        for item in items:
            assert len(item) % 4 == 0 and len(item) // 4 < 256
            out += bytes([len(item) // 4]) + item
        return out

    write(t, "device_dump", bytes([0]) + datagrams(dump, done))
    write(t, "dump_error", bytes([0]) + datagrams(nlmsg(2, 0, seq, struct.pack("=i", -19) + bytes(16))))
    family_reply = nlmsg(0x10, 0, seq, bytes([1, 2, 0, 0]) + nlattr(1, struct.pack("=H", family))
                         + nlattr(2, b"wireguard\0"))
    write(t, "family_reply", bytes([1]) + datagrams(family_reply))
    write(t, "ack", bytes([2]) + datagrams(nlmsg(2, 0, seq, struct.pack("=i", 0) + bytes(16))))
    # RTM_NEWADDR (20) on ifindex 1 and RTM_NEWROUTE (24) for protocol 142, main table, oif 1.
    ifaddr = struct.pack("=BBBBI", 2, 24, 0, 0, 1) + nlattr(2, bytes([100, 64, 0, 1])) + nlattr(1, bytes([100, 64, 0, 1]))
    route = struct.pack("=BBBBBBBBI", 2, 16, 0, 0, 254, 142, 0, 1, 0) + nlattr(1, bytes([10, 2, 0, 0]))
    route += nlattr(4, struct.pack("=I", 1)) + nlattr(15, struct.pack("=I", 254))
    link = struct.pack("=BBHiII", 0, 0, 0, 1, 1, 0xFFFFFFFF) + nlattr(3, b"rn0\0") + nlattr(4, struct.pack("=I", 1420))
    write(t, "rtnl_messages", bytes([3]) + datagrams(nlmsg(20, 0, 1, ifaddr), nlmsg(24, 0, 1, route),
                                                      nlmsg(16, 0, 1, link)))


def daemon_config():
    t = "fuzz_daemon_config"
    _, public = key(0x5A)
    config = {
        "version": 1, "node_id": "n1", "interface": "rn0", "listen_port": 51820, "mtu": 1420,
        "key_custody": {"key_dir": "/var/lib/rustynet/keys", "operator_secret_credential": "rustynet.custody-secret"},
        "trust_state": "/var/lib/rustynet/trust.state", "last_state": "/var/lib/rustynet/last-state.json",
        "control": {"url": "192.0.2.1:8443", "pin_sha256": "3f" * 32, "server_name": "rustynet-control",
                    "audience": "rustynet-control", "signing_public_keys": [base64.b64encode(public).decode()],
                    "long_poll_seconds": 25},
        "backend": {"kind": "wireguard", "driver": "auto", "userspace_binary": "/usr/bin/wireguard-go",
                    "network_namespace": "/var/run/netns/n1"},
        "local_api": {"socket": "/run/rustynet/rustynetd.sock", "group": "rustynet", "admin_group": "rustynet-admin"},
        "advertised_endpoints": ["192.0.2.10:51820", "[2001:db8::10]:51820"],
        "persistent_keepalive_seconds": 25,
        "crypto_policy_file": "/etc/rustynet/crypto-policy.json",
    }
    write(t, "docs_example", json.dumps(config, indent=2))
    minimal = {k: config[k] for k in ("version", "node_id", "key_custody", "trust_state", "control")}
    minimal["backend"] = {"kind": "memory"}
    write(t, "minimal_memory", j(minimal))
    write(t, "both_pin_and_ca", j({**config, "control": {**config["control"], "ca_file": "/etc/ca.pem"}}))
    write(t, "unknown_field", j({**config, "typo": 1}))


def control_config():
    t = "fuzz_control_config"
    _, public = key(0x22)
    config = {
        "version": 1, "listen": {"address": "0.0.0.0", "port": 8443},
        "tls": {"min_version": "1.3", "max_version": "1.3", "certificate_file": "/etc/rustynet/tls.crt",
                "private_key_file": "/etc/rustynet/tls.key"},
        "state_dir": "/var/lib/rustynet-control", "security_event_log": "/var/log/rustynet-control/events.log",
        "audience": "rustynet-control",
        "custody": {"key_directory": "/var/lib/rustynet-control/keys", "operator_secret_file": "/etc/secret"},
        "admin_public_keys": [base64.b64encode(public).decode()],
        "node_state_lifetime_seconds": 86400, "long_poll_max_wait_seconds": 55, "max_connections": 4096,
        "nonce_capacity": 1000000,
    }
    write(t, "full", json.dumps(config, indent=1))
    write(t, "tls12", j({**config, "tls": {**config["tls"], "min_version": "1.2"}}))
    write(t, "no_admin_keys", j({**config, "admin_public_keys": []}))
    write(t, "credential_slash", j({**config, "custody": {"key_directory": "/k", "operator_secret_credential": "a/b"}}))


def request(operation, body):
    body = body.encode() if isinstance(body, str) else body
    return bytes([operation]) + struct.pack(">H", len(body)) + body


def control_api():
    t = "fuzz_control_api"
    _, identity = key(0x44)
    node = {"version": 1, "node": {"node_id": "n3", "identity_public_key": base64.b64encode(identity).decode(),
                                   "tunnel_public_key": base64.b64encode(bytes([3]) * 32).decode(),
                                   "addresses": ["100.64.0.3"], "tags": ["web"], "endpoints": ["192.0.2.3:51820"]}}
    policy = {"version": 1, "document": {"version": 1, "rules": [
        {"id": "web-db", "action": "allow", "src": ["tag:web"], "dst": ["tag:db"], "protocol": "any"}]}}
    sync = {"version": 1, "known_generation": 0, "wait_seconds": 0, "listen_port": 51820,
            "endpoints": ["192.0.2.1:51820"]}
    write(t, "admin_flow", request(1, j(node)) + request(0, "") + request(4, j(policy)) + request(3, "")
          + request(6, j(sync)) + request(0x87, j({**sync, "wait_seconds": 25})) + request(2, "n3")
          + request(5, j({"version": 1, "token_id": "t-1"})))
    write(t, "sync_only", request(6, j(sync)))
    write(t, "bad_policy", request(4, j({"version": 1, "document": {"version": 1, "rules": [{"id": "x"}]}})))
    write(t, "revoke_both", request(5, j({"version": 1, "token_id": "a", "subject": "b"})))


def local_api():
    t = "fuzz_local_api"
    write(t, "status_read", bytes([1]) + b'{"version":1,"method":"status"}')
    write(t, "policy_check", bytes([1]) + j({"version": 1, "method": "policy_check",
                                                "params": {"src": "n1", "dst": "100.64.0.2", "proto": "tcp",
                                                           "port": 22}}).encode())
    write(t, "reload_admin", bytes([2]) + b'{"version":1,"method":"reload"}')
    write(t, "reload_read_only", bytes([1]) + b'{"version":1,"method":"reload"}')
    write(t, "forbidden", bytes([0]) + b'{"version":1,"method":"status"}')
    write(t, "handler_fails", bytes([0x81]) + b'{"version":1,"method":"peers"}')


def main():
    for generate in (strict_json, policy_document, node_state, crypto_policy, signed_envelope, key_blob,
                     relay_ticket, relay_packet, relay_config, token, uapi_reply, netlink_reply, daemon_config,
                     control_config, control_api, local_api):
        generate()
    print(f"seeds written under {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
