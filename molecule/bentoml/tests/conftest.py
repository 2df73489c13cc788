"""Fixtures and helpers of the bentoml scenario's tests. The services listen on the host
network, so the tests reach them from here like any client would."""

import json
import os
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOYMENTS = "/opt/efficientai/bentoml/deployments"
# The front serves HTTPS (bentoml_tls) with a certificate of the scenario's private CA; the
# slots behind it stay plain HTTP on loopback.
CA = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "pki", "ca.crt")


def tls_context():
    """Verifies the front's certificate against the scenario's CA (and its name, 127.0.0.1)."""
    return ssl.create_default_context(cafile=CA)


def front(port):
    """Base URL of a service port (the HAProxy front)."""
    return f"https://127.0.0.1:{port}"


# Known flowers (sepal length, sepal width, petal length, petal width in cm) and their species.
FLOWERS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
SPECIES = ["setosa", "virginica", "versicolor"]


def http(method, url, body=None, timeout=10):
    """Send one request; return (status, text). Connection errors raise."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        context = tls_context() if url.startswith("https:") else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def classify(port, rows):
    return http("POST", f"{front(port)}/classify", {"measurements": rows})


def request_total(port, endpoint, status=200):
    """The Prometheus counter bentoml_service_request_total of one endpoint and status."""
    text = http("GET", f"{front(port)}/metrics")[1]
    prefix = f'bentoml_service_request_total{{endpoint="{endpoint}",http_response_code="{status}"'
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


@pytest.fixture
def variables(host):
    return host.ansible.get_variables()


@pytest.fixture
def iris(variables):
    """The demo service as the inventory defines it."""
    return variables["bentoml_services"][0]


@pytest.fixture
def active(host):
    """The slot that serves a service, and its bento, as the role recorded them."""
    def read(name="iris"):
        return json.loads(host.check_output(f"cat {DEPLOYMENTS}/{name}/active.json"))
    return read


@pytest.fixture
def journal(host):
    """The last journal lines of units, for assertion messages."""
    def read(*units):
        return "\n".join(host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout for unit in units)
    return read


@pytest.fixture
def play(host):
    """Apply the role to the host under test with extra variables; return the process."""
    def run(variables, *options):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as extra:
            json.dump(dict(variables, target_hosts=host.backend.host), extra)
        try:
            return subprocess.run(
                ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], os.path.join(SCENARIO_DIR, "play.yml"),
                 "-e", f"@{extra.name}", *options], capture_output=True, text=True, check=False)
        finally:
            os.unlink(extra.name)
    return run
