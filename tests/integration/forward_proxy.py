#!/usr/bin/env python3
"""A plain HTTP forward proxy for tests (Python standard library only).

It takes absolute-form requests ("GET http://127.0.0.1:PORT/path HTTP/1.1"),
writes each request line to the file given with --log (one per line, the
way a proxy operator would see it), forwards the request to its loopback
origin and relays the answer. Origins other than 127.0.0.1 and ::1 are
refused (403): the proxy never leaves the machine.

    forward_proxy.py --log FILE    prints "PROXY_PORT=<port>" once listening;
                                   SIGTERM stops it.
"""
import argparse
import http.client
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "::1"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
              "te", "trailer", "transfer-encoding", "upgrade"}


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def relay(self):
        with self.server.log_lock, open(self.server.log_path, "a", encoding="utf-8") as log:
            log.write(self.requestline + "\n")
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if target.scheme != "http" or target.hostname not in LOOPBACK:
            self.send_error(403, "this test proxy forwards to loopback only")
            return
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP}
        origin = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        try:
            path = target.path + ("?" + target.query if target.query else "")
            origin.request(self.command, path, body, headers)
            answer = origin.getresponse()
            data = answer.read()
        finally:
            origin.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = relay


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", required=True, help="append each request line here")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    server.daemon_threads = True
    server.log_path = args.log
    server.log_lock = threading.Lock()
    signal.signal(signal.SIGTERM,
                  lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"PROXY_PORT={server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
