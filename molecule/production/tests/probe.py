"""Run inside a container (`python3 - TARGETS < probe.py`, TARGETS a JSON list of [address, port]):
a TCP connect to each, in parallel, observed as `open` (connected), `refused` (a reset: the
firewall let it through but nothing listens) or `filtered` (no answer: dropped). Prints
{"address:port": observation} as JSON."""

import json
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 3


def observe(target):
    address, port = target
    try:
        with socket.create_connection((address, port), timeout=TIMEOUT):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except (TimeoutError, socket.timeout):
        return "filtered"
    except OSError as error:
        return f"error {error.errno}"


def main(targets):
    with ThreadPoolExecutor(max_workers=64) as pool:
        observed = pool.map(observe, targets)
    print(json.dumps({f"{address}:{port}": seen for (address, port), seen in zip(targets, observed)}))


if __name__ == "__main__":
    main([tuple(target) for target in json.loads(sys.argv[1])])
