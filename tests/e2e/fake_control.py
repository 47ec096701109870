#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A hostile control for the end-to-end test: TLS 1.3 with the REAL control's certificate and key
# (so the daemons' pin matches), answering every POST /v1/node/sync at once with one fixed,
# genuinely signed but OLD state (a replay). The daemons must refuse it and keep their state.
#
# usage: fake_control.py --listen ADDR:PORT --cert PEM --key PEM --state LAST_STATE_FILE
#                        --generation N --requests-log FILE
# LAST_STATE_FILE is a daemon's saved last verified state ({"version":1,"node_state","policy"}).
import argparse
import http.server
import json
import ssl
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--generation", type=int, required=True)
    parser.add_argument("--requests-log", required=True)
    args = parser.parse_args()

    with open(args.state, encoding="ascii") as f:
        saved = json.load(f)
    body = json.dumps({
        "version": 1,
        "generation": args.generation,
        "node_state": saved["node_state"],
        "policy": saved["policy"],
    }).encode()
    log = open(args.requests_log, "a", buffering=1, encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *fmt_args):  # quiet: requests go to the requests log
            pass

        def _reply(self, status, payload):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            request = self.rfile.read(length) if length > 0 else b""
            log.write(f"{self.client_address[0]} {self.path} {request.decode(errors='replace')}\n")
            if self.path == "/v1/node/sync":
                self._reply(200, body)
            else:
                self._reply(404, b'{"version":1,"error":"not_found","message":"fake control"}')

        def do_GET(self):
            self._reply(404, b'{"version":1,"error":"not_found","message":"fake control"}')

    host, port = args.listen.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(args.cert, args.key)
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"fake_control: replaying generation {args.generation} on {args.listen}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
