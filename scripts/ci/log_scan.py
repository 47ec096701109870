#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a log holds secret material of the run that wrote it.

usage: log_scan.py --logs PATH [PATH ...] [--secret-file NAME=FILE ...] [--secret NAME=VALUE ...]
                   [--require-secrets N]
       log_scan.py --self-test

--logs: files or directories (walked) of everything the programs wrote (stdout/stderr captures,
  journal-like files, CLI outputs). At least one file must be found.
--secret-file / --secret: the actual secret material of the run (key files, operator secret,
  tickets, a tunnel key read from the data plane) and a name to report it by. Each secret is
  searched for in every encoding a program could print it in: the text as given, and for the bytes
  it stands for (decoded from base64/hex when it is such a text; the raw bytes of a binary file)
  hex (both cases), base64 (standard and URL-safe, with and without padding), and the first 24
  characters of each of those for a key-sized secret (a truncated print) or the encodings of the
  last 32 bytes for a longer blob. A text file also contributes every base64/hex
  run of 24+ characters in it (the ciphertext and salts of a key blob, a PEM body).
--require-secrets N: fail unless at least N secrets were given (a scan without material is vacuous).

Generic patterns are checked too (a secret of some other run, a key format the list missed):
PEM private keys, WireGuard config/UAPI private keys, bearer and authorization headers, and
secret/password assignments with a value.

A finding prints the file, line number, the secret's name and the encoding, never the secret.
Exit status: 0 clean, 1 findings, 2 usage error (no logs, too few secrets, unreadable input).
"""
import argparse
import base64
import binascii
import io
import os
import re
import shutil
import sys
import tempfile

MIN_FORM = 16  # shorter encodings are not searched (too likely to occur by chance)
PREFIX = 24
MAX_KEY_SIZED = 64
RUN = re.compile(rb"[A-Za-z0-9+/_-]{24,}={0,2}")
GENERIC = [
    ("PEM private key", re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
    ("WireGuard PrivateKey", re.compile(rb"\bPrivateKey\b")),
    ("UAPI private_key=", re.compile(rb"\bprivate_key=[0-9a-fA-F]{8,}")),
    ("preshared_key=", re.compile(rb"\bpreshared_key=[0-9a-fA-F]{8,}")),
    ("bearer token", re.compile(rb"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}")),
    ("authorization header", re.compile(rb"(?i)\bauthorization\s*:\s*\S{8,}")),
    ("secret assignment",
     re.compile(rb"(?i)(secret|password|passphrase|private_key|seed)[\"']?\s*[=:]\s*[\"']?[A-Za-z0-9+/_-]{16,}")),
]


def decodings(text):
    """Bytes a text token may stand for (hex, base64 variants); empty when none."""
    out = []
    t = text.strip()
    if re.fullmatch(rb"(?:[0-9a-fA-F]{2})+", t):
        out.append(binascii.unhexlify(t))
    if re.fullmatch(rb"[A-Za-z0-9+/_-]+={0,2}", t) and len(t) >= MIN_FORM:
        padded = t.rstrip(b"=") + b"=" * (-len(t.rstrip(b"=")) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(padded)
            except (binascii.Error, ValueError):
                continue
            if raw and raw not in out:
                out.append(raw)
    return out


def plain_encodings(raw):
    b64 = base64.b64encode(raw)
    url = base64.urlsafe_b64encode(raw)
    return {"hex": raw.hex().encode(), "HEX": raw.hex().upper().encode(), "base64": b64,
            "base64 unpadded": b64.rstrip(b"="), "base64url": url, "base64url unpadded": url.rstrip(b"=")}


def encodings(raw):
    """The ways a program could print `raw`. A key-sized secret (every byte secret) is also looked
    for by the first 24 characters of each encoding (a truncated print); a longer blob (a sealed key
    file, a ticket) starts with a format header shared by every blob of its kind, so instead its
    last 32 bytes (ciphertext, tag or signature) are looked for on their own."""
    forms = plain_encodings(raw)
    if len(raw) <= MAX_KEY_SIZED:
        for name, form in list(forms.items()):
            if name in ("hex", "HEX", "base64", "base64url") and len(form) > PREFIX:
                forms[name + " (first 24 chars)"] = form[:PREFIX]
    else:
        for name, form in plain_encodings(raw[-32:]).items():
            forms[name + " of the last 32 bytes"] = form
    return forms


def needles(name, data, binary):
    """(needle, description) pairs for one secret."""
    found = {}

    def add(form, how):
        if len(form) >= MIN_FORM and form not in found:
            found[form] = (name, how)

    if binary:
        for how, form in encodings(data).items():
            add(form, how)
        return found
    text = data.strip()
    add(text, "as written")
    tokens = [text] + [m.group(0) for m in RUN.finditer(text)]
    for token in tokens:
        if token != text:
            add(token, "part of the file")
        for raw in decodings(token):
            if len(raw) < 8:
                continue
            for how, form in encodings(raw).items():
                add(form, how)
    return found


def is_binary(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\0" in data


def log_files(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            for dirpath, _, names in os.walk(path):
                files += [os.path.join(dirpath, n) for n in sorted(names)]
        elif os.path.isfile(path):
            files.append(path)
    return files


def scan(log_paths, secrets, out):
    """Prints findings to `out`; returns their number."""
    material = {}
    for name, data, binary in secrets:
        material.update(needles(name, data, binary))
    findings = 0
    for path in log_paths:
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, 1):
                # One finding per secret per line (its first matching encoding), one per line for the patterns.
                named = set()
                for needle, (name, how) in material.items():
                    if name not in named and needle in line:
                        named.add(name)
                        print(f"log_scan: {path}:{number}: secret material {name} ({how})", file=out)
                        findings += 1
                for what, pattern in GENERIC:
                    if pattern.search(line):
                        print(f"log_scan: {path}:{number}: pattern {what}", file=out)
                        findings += 1
                        break
    return findings


def load_secrets(args):
    secrets = []
    for item in args.secret_file or []:
        name, _, path = item.partition("=")
        if not path:
            raise ValueError(f"--secret-file wants NAME=FILE, got '{item}'")
        with open(path, "rb") as fh:
            data = fh.read()
        secrets.append((name, data, is_binary(data)))
    for item in args.secret or []:
        name, _, value = item.partition("=")
        if not value:
            raise ValueError(f"--secret wants NAME=VALUE, got '{name}='")
        secrets.append((name, value.encode(), False))
    return secrets


def self_test():
    """Plants secrets (and near misses) in temporary logs; the scan must find exactly the plants."""
    work = tempfile.mkdtemp(prefix="log-scan-selftest-")
    failures = 0
    try:
        key = bytes(range(1, 33))  # a 32-byte "private key"
        other = bytes(range(101, 133))  # a public value that is not secret
        key_file = os.path.join(work, "tunnel.key")
        with open(key_file, "w") as fh:
            fh.write(base64.b64encode(key).decode() + "\n")
        blob = os.path.join(work, "identity.key")
        with open(blob, "wb") as fh:
            fh.write(b"\x01RNK" + bytes(range(100, 250)))
        secrets = [("tunnel key", open(key_file, "rb").read(), False), ("identity blob", open(blob, "rb").read(), True)]
        ticket = "ab" * 40
        secrets.append(("relay ticket", ticket.encode(), False))
        cases = {
            "clean": (f"peer {base64.b64encode(other).decode()} handshake ok\nstarted pid 42\n", 0),
            "base64": (f"loaded key {base64.b64encode(key).decode()}\n", 1),
            "hex": (f"debug: {key.hex()}\n", 1),
            "truncated hex": (f"key {key.hex()[:30]}...\n", 1),
            "urlsafe unpadded": (f"k={base64.urlsafe_b64encode(key).decode().rstrip('=')}\n", 1),
            "binary blob as base64": (f"blob {base64.b64encode(open(blob, 'rb').read()).decode()}\n", 1),
            "blob tail": (f"tag {base64.b64encode(bytes(range(218, 250))).decode()}\n", 1),
            "blob header is fine": ("format " + (b"\x01RNK" + bytes(range(100, 112))).hex() + "\n", 0),
            "ticket hex": (f"ticket {ticket}\n", 1),
            "uapi": ("private_key=" + other.hex() + "\n", 1),
            "pem": ("-----BEGIN PRIVATE KEY-----\n", 1),
            "bearer": ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345\n", 1),
            "secret assignment": ('{"operator_secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQ="}\n', 1),
            "file path is fine": ('{"operator_secret_file": "/tmp/x/operator.secret"}\n', 0),
        }
        for name, (text, expected) in cases.items():
            log = os.path.join(work, name.replace(" ", "_") + ".log")
            with open(log, "w") as fh:
                fh.write(text)
            report = io.StringIO()
            got = scan([log], secrets, report)
            leaked = any(form in report.getvalue().encode() for form in (key.hex().encode(), base64.b64encode(key)))
            ok = got == expected and not leaked
            print(f"log_scan self-test: {name:24} {'ok' if ok else 'BROKEN'} ({got} finding(s), expected {expected})")
            failures += 0 if ok else 1
        os.remove(key_file)
        os.remove(blob)
    finally:
        shutil.rmtree(work)
    print("log_scan self-test: " + ("ok" if failures == 0 else f"{failures} case(s) BROKEN"))
    return 0 if failures == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", nargs="+", default=[])
    parser.add_argument("--secret-file", action="append")
    parser.add_argument("--secret", action="append")
    parser.add_argument("--require-secrets", type=int, default=1)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    files = log_files(args.logs)
    if not files:
        print("log_scan: no log files found in " + " ".join(args.logs), file=sys.stderr)
        return 2
    try:
        secrets = load_secrets(args)
    except (OSError, ValueError) as error:
        print(f"log_scan: {error}", file=sys.stderr)
        return 2
    if len(secrets) < args.require_secrets:
        print(f"log_scan: {len(secrets)} secret(s) given, at least {args.require_secrets} required", file=sys.stderr)
        return 2
    findings = scan(files, secrets, sys.stdout)
    total = sum(os.path.getsize(f) for f in files)
    verdict = "FAIL" if findings else "clean"
    print(f"log_scan: {verdict}: {findings} finding(s) in {len(files)} file(s), {total} bytes, {len(secrets)} secret(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
