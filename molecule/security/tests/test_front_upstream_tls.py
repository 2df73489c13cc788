"""The front reaches backends that serve TLS over verified TLS (upstream_tls): a site answers
401 without credentials and the backend's answer with them (without the Authorization header);
a backend whose certificate comes from another CA, or lacks the name the site verifies, gets
502; the backends refuse plain HTTP; and the role refuses plain HTTP to an upstream on another
host before anything changes."""

import json

testinfra_hosts = ["ansible://security-proxy"]
NAME = "app.security.test"
AUTH = ["-u", "operator:Operator-pass-2026"]
SITES = {"tls": 21444, "rogue": 21445, "misnamed": 21446}


def front(client, port, *options, path="/"):
    """curl from the client container to a site of the front, verifying the front's certificate."""
    return client("curl", "-sS", "--cacert", "/root/ca.crt", "--resolve", f"{NAME}:{port}:127.0.0.1", *options,
                  f"https://{NAME}:{port}{path}")


def status(client, port, *options):
    return front(client, port, *options, "-o", "/dev/null", "-w", "%{http_code}").stdout


def nginx_errors(host):
    return host.run("tail -n 80 /var/log/nginx/error.log").stdout


def test_without_credentials_every_tls_site_answers_401(client):
    assert {site: status(client, port) for site, port in SITES.items()} == {site: "401" for site in SITES}


def test_with_credentials_the_backend_answers_over_tls(client, host):
    answer = front(client, SITES["tls"], *AUTH, "-w", "\n%{http_code}", path="/runs?id=7")
    assert answer.returncode == 0, answer.stderr
    body, code = answer.stdout.rsplit("\n", 1)
    assert code == "200", body + nginx_errors(host)
    seen = json.loads(body)
    assert seen["backend"] == "good" and seen["path"] == "/runs?id=7"
    # nginx checked the credentials and kept them from the backend.
    assert seen["authorization"] is False


def test_the_site_verifies_its_upstream(host):
    site = host.file("/etc/nginx/sites-enabled/efficientai-tls.conf").content_string
    for directive in ("proxy_pass https://efficientai_tls;", "proxy_ssl_verify on;",
                      "proxy_ssl_trusted_certificate /etc/nginx/tls/upstream-ca.crt;", "proxy_ssl_verify_depth 2;",
                      "proxy_ssl_name backend.security.test;", "proxy_ssl_server_name on;", "proxy_ssl_session_reuse on;"):
        assert directive in site, site
    # The upstreams' CA is the private CA, not another.
    assert host.file("/etc/nginx/tls/upstream-ca.crt").content_string == host.file("/etc/nginx/tls/ca.crt").content_string
    # The loopback site stays plain HTTP.
    plain = host.file("/etc/nginx/sites-enabled/efficientai-app.conf").content_string
    assert "proxy_pass http://efficientai_app;" in plain and "proxy_ssl" not in plain


def test_a_backend_with_another_cas_certificate_gets_502(client, host):
    assert status(client, SITES["rogue"], *AUTH) == "502"
    assert "upstream SSL certificate verify error" in nginx_errors(host)


def test_a_backend_whose_certificate_lacks_the_verified_name_gets_502(client, host):
    assert status(client, SITES["misnamed"], *AUTH) == "502"
    assert 'upstream SSL certificate does not match "other.security.test"' in nginx_errors(host)


def test_the_backends_serve_tls_only(client, host):
    for port in (21103, 21104):
        plain = client("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{port}/readyz")
        assert plain.returncode != 0 and plain.stdout == "000", (port, plain.stdout, plain.stderr)
    verified = client("curl", "-sS", "--cacert", "/root/ca.crt", "--resolve", "backend.security.test:21103:127.0.0.1",
                      "https://backend.security.test:21103/readyz")
    assert verified.stdout == "OK", verified.stderr
    # The key is the service user's only.
    key = host.file("/opt/efficientai/tls-backends/good/backend.key")
    assert (key.user, key.mode) == ("tls-backend", 0o600)


def test_a_plain_upstream_on_another_host_is_refused(play, host):
    before = host.file("/etc/nginx/sites-enabled/efficientai-tls.conf").content_string
    remote = {"name": "remote", "server_name": NAME, "listen_port": 21447, "upstreams": ["192.0.2.10:8080"]}
    result = play("proxy.yml", {"proxy_sites": [remote]})
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    refused = "proxy_sites[0] (remote): upstream_tls must be true: the upstreams 192.0.2.10 are not on this host"
    assert refused in output, output[-3000:]
    assert "upstream_tls: true" in output
    # Refused before anything changed.
    assert host.file("/etc/nginx/sites-enabled/efficientai-tls.conf").content_string == before
    assert not host.file("/etc/nginx/sites-enabled/efficientai-remote.conf").exists
