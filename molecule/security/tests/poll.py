"""Polls an HTTPS URL (CA-verified, basic auth) from the client container for a while and prints
{"answers": n, "failures": [...], "retried": n}: two threads open a new connection per request, two
keep theirs (HTTP keep-alive). A server may close an idle kept-alive connection at any moment (nginx's
old workers do when it reloads), so, like browsers and urllib3 (RFC 9112, 9.3.1), a GET that finds its
reused connection closed before any answer is sent again once on a new connection: counted in
"retried", not a failure. Any other error, and any error on a new connection, is a failure.
Stops early when the file named by --stop-file exists."""

import argparse
import base64
import http.client
import json
import os
import ssl
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=240)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.ca)
    auth = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    lock = threading.Lock()
    result = {"answers": 0, "failures": [], "retried": 0}
    deadline = time.time() + args.max_seconds

    def running():
        return time.time() < deadline and not os.path.exists(args.stop_file)

    def ask(connection):
        connection.request("GET", "/", headers={"Authorization": auth})
        response = connection.getresponse()
        return response, response.read()

    def poll(keep_alive):
        connection, reused = None, False
        while running():
            try:
                if connection is None:
                    connection, reused = http.client.HTTPSConnection(args.host, args.port, timeout=10, context=context), False
                try:
                    response, body = ask(connection)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    connection.close()
                    connection, reused = http.client.HTTPSConnection(args.host, args.port, timeout=10, context=context), False
                    with lock:
                        result["retried"] += 1
                    response, body = ask(connection)
                reused = True
                if response.status != 200 or json.loads(body)["user"] != "sample":
                    raise AssertionError(f"HTTP {response.status}: {body[:200]!r}")
                with lock:
                    result["answers"] += 1
            except Exception as error:  # every kind of failure counts
                with lock:
                    result["failures"].append(f"{time.strftime('%H:%M:%S')} {type(error).__name__}: {error}")
                if connection is not None:
                    connection.close()
                connection, reused = None, False
            if not keep_alive and connection is not None:
                connection.close()
                connection, reused = None, False
            time.sleep(0.02)

    threads = [threading.Thread(target=poll, args=(keep_alive,)) for keep_alive in (False, False, True, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
