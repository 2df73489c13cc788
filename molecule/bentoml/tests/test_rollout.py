"""Changing the bento tag replaces the service through the front: a client that polls the
whole time gets every answer right, first from the old bento, then from the new one.
(test_s3 rolls back to the inventory's bento.)"""

import http.client
import json
import threading
import time

from conftest import DEPLOYMENTS, FLOWERS, SPECIES, tls_context


class Poller:
    """Clients that classify a known flower and ask which model answered, every 20 ms:
    two open a new connection per request, two keep theirs open (HTTP keep-alive)."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers, self.failures, self.models = 0, [], []
        self.threads = [threading.Thread(target=self.poll, args=(keep_alive,)) for keep_alive in (False, False, True, True)]

    def ask(self, connection, path, body):
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode()

    def poll(self, keep_alive):
        connection = None
        while not self.stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=tls_context())
                status, body = self.ask(connection, "/classify", {"measurements": FLOWERS})
                if status != 200 or json.loads(body) != SPECIES:
                    raise AssertionError(f"HTTP {status}: {body[:200]}")
                status, body = self.ask(connection, "/about", {})
                model = json.loads(body)["model"] if status == 200 else None
                with self.lock:
                    self.answers += 1
                    if model and (not self.models or self.models[-1] != model):
                        self.models.append(model)
            except Exception as error:  # every kind of failure counts
                with self.lock:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {type(error).__name__}: {error}")
                if connection is not None:
                    connection.close()
                connection = None
            if not keep_alive and connection is not None:
                connection.close()
                connection = None
            # Steady traffic, not a load test: the machine also runs the rollout.
            time.sleep(0.02)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_changing_the_bento_replaces_the_service_without_a_failed_request(host, play, iris, active, journal):
    before = active()
    with Poller(iris["port"]) as poller:
        time.sleep(2)
        result = play({"bentoml_services": [dict(iris, bento="iris_classifier:1.0.1")]})
        time.sleep(2)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    after = active()
    assert after["bento"] == "iris_classifier:1.0.1"
    assert after["slot"] != before["slot"]
    assert poller.failures == [], f"{len(poller.failures)} of {poller.answers} requests failed: {poller.failures[:5]}"
    assert poller.answers > 20
    # While the front hands over, both slots answer (as in any rolling update); then only the new one.
    assert poller.models[0] == "iris_clf:1.0.0" and poller.models[-1] == "iris_clf:1.0.1", poller.models
    # The old slot is stopped and gone; the old bento stays in the store for a rollback.
    assert not host.file(f"/etc/systemd/system/bentoml-iris-{before['slot']}.service").exists
    assert host.service(f"bentoml-iris-{after['slot']}").is_running, journal(f"bentoml-iris-{after['slot']}")
    assert host.file(f"{DEPLOYMENTS}/iris/home/bentos/iris_classifier/1.0.0/bento.yaml").exists
