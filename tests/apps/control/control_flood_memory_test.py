#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Control memory under connection floods (issue 19): the real rustynet-control on loopback gets
three floods of 1,000 idle connections (TLS handshakes completed, then silent), each held until the
server has closed them all. Memory a flood takes must be given back: after each flood at least 75 %
of what it took, and RSS after the third flood within 20 % of RSS after the first (not retained
flood after flood).

Usage: control_flood_memory_test.py RUSTYNET_CONTROL_BINARY [--floods N] [--connections N]
"""
import argparse
import os
import pathlib
import re
import resource
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_connections(port, count, context):
    """Opens `count` TLS connections to 127.0.0.1:port (completing each handshake) and returns them."""
    connections = []
    for index in range(count):
        # Distinct source addresses, as a flood from many hosts would come (all of 127/8 is local).
        source = f"127.1.{index // 250}.{1 + index % 250}"
        raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        try:
            connections.append(context.wrap_socket(raw, server_hostname="localhost"))
        except (ssl.SSLError, OSError):
            raw.close()  # refused at the connection cap: counted by the caller
    return connections


def wait_closed(connections, limit_seconds):
    """Waits until the server has closed every connection (EOF or reset); returns the seconds taken."""
    start = time.monotonic()
    selector = selectors.DefaultSelector()
    for conn in connections:
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ)
    open_count = len(connections)
    while open_count > 0:
        if time.monotonic() - start > limit_seconds:
            raise RuntimeError(f"{open_count} connections still open after {limit_seconds} s")
        for key, _ in selector.select(timeout=1.0):
            conn = key.fileobj
            try:
                if conn.recv(1) == b"":
                    raise ConnectionError
            except ssl.SSLWantReadError:
                continue
            except (OSError, ssl.SSLError, ConnectionError):
                pass
            selector.unregister(conn)
            conn.close()
            open_count -= 1
    return time.monotonic() - start


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_control(binary, workdir):
    secret = workdir / "secret"
    secret.write_text("flood-test-operator-secret-0123456789")
    secret.chmod(0o600)
    state = workdir / "state"
    config = workdir / "control.json"
    init = subprocess.run([binary, "init", "--state-dir", str(state), "--config-out", str(config),
                           "--secret-file", str(secret), "--listen", f"127.0.0.1:{free_port()}",
                           "--admin-key-dir", str(workdir / "admin")],
                          capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        raise RuntimeError(f"init failed: {init.stderr}")
    log = open(workdir / "control.log", "w")
    process = subprocess.Popen([binary, "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    return process, workdir / "control.log"


def listening_port(pid, log_path, limit_seconds=60):
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", log_path.read_text())
        if found:
            return int(found.group(1))
        time.sleep(0.1)
    raise RuntimeError(f"control did not report its port: {log_path.read_text()}")


def main():
    # 1,000 client sockets in this process plus the server's in its child: lift the soft limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--floods", type=int, default=3)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3

    with tempfile.TemporaryDirectory(prefix="rustynet-flood-") as tmp:
        workdir = pathlib.Path(tmp)
        process, log_path = start_control(args.binary, workdir)
        try:
            port = listening_port(process.pid, log_path)
            print(f"control pid {process.pid} on 127.0.0.1:{port}, RSS at start {rss_kib(process.pid)} KiB")
            start_rss = rss_kib(process.pid)
            after = []
            failures = []
            for flood in range(1, args.floods + 1):
                start = time.monotonic()
                conns = open_connections(port, args.connections, context)
                peak = rss_kib(process.pid)
                held = len(conns)
                closed_in = wait_closed(conns, 60)
                time.sleep(1.0)  # let the server finish releasing what the closes freed
                after.append(rss_kib(process.pid))
                print(f"flood {flood}: {held}/{args.connections} handshakes completed, RSS peak {peak} KiB, "
                      f"all closed by the server {closed_in:.1f} s after the flood, RSS after {after[-1]} KiB "
                      f"({time.monotonic() - start:.1f} s)")
                if process.poll() is not None:
                    raise RuntimeError("control exited during the flood")
                # A flood that did not hold its connections would measure nothing: require all of them.
                if held < args.connections:
                    failures.append(f"flood {flood}: only {held} of {args.connections} connections held")
                taken = peak - start_rss
                given_back = peak - after[-1]
                if taken > 0 and given_back < 0.75 * taken:
                    failures.append(f"flood {flood} took {taken} KiB and gave back only {given_back} KiB")
            growth = (after[-1] - after[0]) / after[0]
            print(f"RSS after flood {args.floods} vs flood 1: {growth * 100:+.1f} % (bound +20 %)")
            if growth > 0.20:
                failures.append(f"RSS grew {growth * 100:.1f} % from flood 1 to flood {args.floods}")
            for failure in failures:
                print(f"FAIL: {failure}", file=sys.stderr)
            return 1 if failures else 0
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
