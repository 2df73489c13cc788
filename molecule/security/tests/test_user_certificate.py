"""A certificate and key given as PEM content replace the generated ones (and the generated ones
come back when they are no longer given)."""

import subprocess

testinfra_hosts = ["ansible://security-proxy"]


def test_a_given_certificate_is_served_and_the_generated_one_comes_back(host, client, play, site, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-subj", f"/CN={site['name']}", "-addext", f"subjectAltName=DNS:{site['name']}",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    given = (tmp_path / "cert.pem").read_text()
    result = play("proxy.yml", {"proxy_tls_certificate": given, "proxy_tls_key": (tmp_path / "key.pem").read_text()})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert host.file("/etc/nginx/tls/efficientai.crt").content_string == given
    assert host.file("/etc/nginx/tls/efficientai.key").mode == 0o600
    subprocess.run(["docker", "cp", str(tmp_path / "cert.pem"), "security-client:/root/given.pem"], check=True)
    url = f"https://{site['name']}:{site['port']}/"
    resolve = f"{site['name']}:{site['port']}:127.0.0.1"
    answer = client("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "/root/given.pem", "--resolve", resolve, url)
    assert answer.stdout == "401", answer.stderr
    assert client("curl", "-sS", "--cacert", "/root/ca.crt", "--resolve", resolve, url).returncode == 60

    restored = play("proxy.yml", {})
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr
    answer = client("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "/root/ca.crt", "--resolve", resolve, url)
    assert answer.stdout == "401", answer.stderr
