"""What a client in another container sees of the proxy: HTTPS only, with a certificate that
verifies against the generated CA, modern TLS only, plain HTTP redirected, 401 for wrong
credentials, and the replicas' plain ports closed to every address but loopback."""

import json

import pytest

testinfra_hosts = ["ansible://security-proxy"]


def https(client, site, *options, path="/"):
    """curl to the site by its name (resolved to loopback), verifying against the CA."""
    return client("curl", "-sS", "--cacert", "/root/ca.crt", "--resolve", f"{site['name']}:{site['port']}:127.0.0.1",
                  *options, f"https://{site['name']}:{site['port']}{path}")


def test_https_answers_with_a_certificate_of_the_generated_ca(client, site):
    answer = https(client, site, "-u", f"{site['user']}:{site['password']}", "-w", "\n%{http_code} %{ssl_verify_result}")
    assert answer.returncode == 0, answer.stderr
    body, status = answer.stdout.rsplit("\n", 1)
    assert status == "200 0"
    assert json.loads(body)["user"] == "sample"


def test_without_the_ca_the_certificate_is_refused(client, site):
    answer = client("curl", "-sS", "--resolve", f"{site['name']}:{site['port']}:127.0.0.1",
                    f"https://{site['name']}:{site['port']}/")
    assert answer.returncode == 60, answer.stderr  # curl: peer certificate cannot be authenticated


@pytest.mark.parametrize("protocol", ["1.2", "1.3"])
def test_tls_12_and_13_are_served(client, site, protocol):
    answer = https(client, site, f"--tlsv{protocol}", "--tls-max", protocol, "-o", "/dev/null", "-w", "%{http_code}")
    assert answer.stdout == "401", answer.stderr


def test_tls_11_is_refused_by_the_server(client, site):
    # The client offers TLS 1.1 (security level 0 allows it): the server answers with an alert.
    answer = https(client, site, "--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0")
    assert answer.returncode == 35
    assert "protocol version" in answer.stderr


def test_ciphers_without_aead_are_refused(client, site):
    # ECDHE-ECDSA-AES128-SHA would suit the ECDSA certificate; only AEAD ciphers are configured.
    answer = https(client, site, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA")
    assert answer.returncode == 35
    assert "handshake failure" in answer.stderr


def test_plain_http_redirects_to_https(client, site):
    answer = client("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                    "--resolve", f"{site['name']}:{site['redirect_port']}:127.0.0.1",
                    f"http://{site['name']}:{site['redirect_port']}/runs?id=1")
    assert answer.stdout == f"301 https://{site['name']}:{site['port']}/runs?id=1", answer.stderr


@pytest.mark.parametrize("credentials", [["-u", "operator:wrong-password-2026"], ["-u", "intruder:Operator-pass-2026"], []])
def test_wrong_or_missing_credentials_get_401_over_tls(client, site, credentials):
    answer = https(client, site, *credentials, "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}")
    assert answer.stdout == "401 0", answer.stderr


def test_replicas_listen_on_loopback_only(host, site):
    listening = host.socket.get_listening_sockets()
    for port in site["replicas"]:
        assert f"tcp://127.0.0.1:{port}" in listening
        assert f"tcp://0.0.0.0:{port}" not in listening and f"tcp://:::{port}" not in listening


def test_replica_ports_are_refused_on_the_machines_other_address(host, client, site):
    # Both containers share the host's network namespace: "another address space" here is the
    # machine's non-loopback address. nginx answers there; the replicas' ports are refused.
    address = host.ansible("setup", "gather_subset=network")["ansible_facts"].get("ansible_default_ipv4", {}).get("address")
    if not address:
        pytest.skip("the machine has no non-loopback IPv4 address")
    probe = ("import socket, sys\n"
             "try:\n    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close(); print('open')\n"
             "except ConnectionRefusedError:\n    print('refused')\n")
    assert client("python3", "-c", probe, address, str(site["port"])).stdout.strip() == "open"
    for port in site["replicas"]:
        assert client("python3", "-c", probe, address, str(port)).stdout.strip() == "refused"
