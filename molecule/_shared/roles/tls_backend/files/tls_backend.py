"""A test backend that serves HTTPS only (standard library): /readyz and /health answer OK,
/metrics a Prometheus gauge, any other path JSON saying what arrived (so tests see whether an
Authorization header reached the backend). Run by the tls_backend test role as a _common service.

    tls_backend.py --host 127.0.0.1 --port 21103 --cert backend.crt --key backend.crt.key
"""

import argparse
import json
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path in ("/readyz", "/health"):
            body, kind = b"OK", "text/plain"
        elif self.path == "/metrics":
            body, kind = b"# TYPE tls_backend_up gauge\ntls_backend_up 1\n", "text/plain; version=0.0.4"
        else:
            body = json.dumps({"backend": self.server.name, "path": self.path,
                               "authorization": "Authorization" in self.headers,
                               "host": self.headers.get("Host", "")}).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser()
    for option in ("--host", "--cert", "--key", "--name"):
        parser.add_argument(option, required=option != "--name", default="backend")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.name = args.name
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
