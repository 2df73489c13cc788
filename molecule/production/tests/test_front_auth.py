"""Every site of the front asks for a login, and works with it: MLflow with its admin, Airflow
with its admin (a token from /auth/token), BentoML and the dashboard with the front users that
nginx checks (vaulted in the inventory). The front reaches MLflow and BentoML on the other hosts
over verified TLS (upstream_tls), whose ports refuse plain HTTP. Names, addresses, ports and
credentials come from the inventory."""

import base64
import json
import re
import ssl
import urllib.error
import urllib.request

import pytest

testinfra_hosts = ["ansible://production-ops"]
# A path of each site that needs a login (MLflow's /health and Airflow's health do not).
PROTECTED = {"mlflow": "/api/2.0/mlflow/experiments/search?max_results=1", "airflow": "/api/v2/dags?limit=1",
             "bentoml": "/readyz", "dashboard": "/health"}
FLOWER = {"measurements": [[5.1, 3.5, 1.4, 0.2]]}


@pytest.fixture(scope="module")
def site(templated):
    """request(site, path, user=None, password=None, token=None, body=None) -> (status, body)
    through the front, verifying its certificate against the private CA."""
    name, ports = templated("mlops_public_name"), templated("mlops_front_ports")
    context = ssl.create_default_context(cafile=templated("mlops_ca_dir") + "/ca.crt")

    def request(which, path, user=None, password=None, token=None, body=None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        call = urllib.request.Request(f"https://{name}:{ports[which]}{path}", headers=headers,
                                      method="GET" if body is None else "POST",
                                      data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(call, timeout=60, context=context) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
    return request


@pytest.fixture(scope="module")
def sites(templated):
    """The front's sites as the inventory defines them ({name: site}). (templated takes an
    expression without spaces: debug's key=value arguments end at a space.)"""
    return {item["name"]: item for item in templated("proxy_sites")}


@pytest.fixture(scope="module")
def front_users(sites):
    """{site: (user, password)} of the sites whose users nginx checks."""
    return {name: (item["auth_users"][0]["name"], item["auth_users"][0]["password"])
            for name, item in sites.items() if item.get("auth_users")}


def test_the_sites_without_their_own_login_have_front_users(front_users):
    assert sorted(front_users) == ["bentoml", "dashboard"]


@pytest.mark.parametrize("which", sorted(PROTECTED))
def test_without_credentials_every_site_refuses(site, which):
    status, body = site(which, PROTECTED[which])
    assert status in (401, 403), (which, status, body[:300])


@pytest.mark.parametrize("which", ["bentoml", "dashboard"])
def test_a_wrong_front_password_is_refused(site, front_users, which):
    user, password = front_users[which]
    assert site(which, PROTECTED[which], user, password + "-wrong")[0] == 401
    assert site(which, PROTECTED[which], "intruder", password)[0] == 401


def test_mlflow_works_with_its_admin(site, templated):
    password = templated("hostvars[groups['tracking'][0]]['mlflow_admin_password']")
    user = templated("hostvars[groups['tracking'][0]]['mlflow_admin_username']")
    # Unset in the inventory (debug then answers with an "<< error ... >>" note): the mlflow role's default.
    user = user if re.fullmatch(r"[A-Za-z0-9_.@-]+", str(user)) else "admin"
    status, body = site("mlflow", PROTECTED["mlflow"], user, password)
    assert status == 200, body[:500]
    assert "experiments" in json.loads(body)


def test_airflow_works_with_its_admin(site, templated):
    admin = [user for user in templated("hostvars[groups['orchestration'][0]]['airflow_users']") if user["role"] == "Admin"][0]
    status, body = site("airflow", "/auth/token", body={"username": admin["username"], "password": admin["password"]})
    assert status == 201, body[:500]
    status, body = site("airflow", PROTECTED["airflow"], token=json.loads(body)["access_token"])
    assert status == 200, body[:500]
    assert "dags" in json.loads(body)


def test_bentoml_works_with_its_front_user(site, front_users):
    user, password = front_users["bentoml"]
    assert site("bentoml", "/readyz", user, password)[0] == 200
    status, body = site("bentoml", "/classify", user, password, body=FLOWER)
    assert status == 200, body[:500]
    assert json.loads(body) == ["setosa"]


def test_the_dashboard_works_with_its_front_user(site, front_users):
    user, password = front_users["dashboard"]
    status, body = site("dashboard", "/health", user, password)
    assert status == 200, body[:500]
    assert {s["name"] for s in json.loads(body)["services"]} >= {"mlflow", "bentoml-iris", "airflow", "postgresql"}


@pytest.mark.parametrize("which, group, port_variable", [
    ("mlflow", "tracking", "mlflow_port"), ("bentoml", "serving", None)])
def test_the_front_verifies_the_backends_that_cross_the_network(host, templated, sites, which, group, port_variable):
    config = host.file(f"/etc/nginx/sites-enabled/efficientai-{which}.conf").content_string
    name = sites[which]["upstream_tls_name"]
    for directive in (f"proxy_pass https://efficientai_{which};", "proxy_ssl_verify on;", f"proxy_ssl_name {name};",
                      "proxy_ssl_trusted_certificate /etc/nginx/tls/upstream-ca.crt;", "proxy_ssl_server_name on;"):
        assert directive in config, config
    # Each backend's port serves TLS only: plain HTTP from the front's host gets no answer.
    for backend in templated(f"groups['{group}']"):
        address = templated(f"hostvars['{backend}']['mlops_private_address']")
        if port_variable:
            ports = [templated(f"hostvars['{backend}']['{port_variable}']")]
        else:
            ports = [service["port"] for service in templated(f"hostvars['{backend}']['bentoml_services']")]
        for port in ports:
            plain = host.run(f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}' http://{address}:{port}/")
            assert plain.rc != 0 and plain.stdout == "000", (backend, port, plain.stdout, plain.stderr)
            verified = host.run(f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}' --cacert /etc/nginx/tls/upstream-ca.crt "
                                f"--resolve {name}:{port}:{address} https://{name}:{port}/health")
            assert verified.rc == 0, (backend, port, verified.stderr)


def test_the_plain_upstreams_are_on_the_fronts_own_host(host, templated):
    own = templated("mlops_private_address")
    for which in ("airflow", "dashboard"):
        config = host.file(f"/etc/nginx/sites-enabled/efficientai-{which}.conf").content_string
        servers = [line.split()[1] for line in config.splitlines() if line.strip().startswith("server ") and ":" in line]
        assert servers and all(server.rsplit(":", 1)[0] in (own, "127.0.0.1") for server in servers), (which, servers)
