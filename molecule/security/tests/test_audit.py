"""The security audit on the proxy container: certificates, world-readable files in the
configuration directory, undeclared listeners, security updates and the sandboxing exposure of
every unit the collection installed (printed in the test output; none UNSAFE)."""

import re

testinfra_hosts = ["ansible://security-proxy"]


def audit(play, **variables):
    result = play("audit.yml", variables)
    rows = {}
    for line in result.stdout.splitlines():
        match = re.match(r'^\s*"security-proxy\s+(.+?)\s{2,}(PASS|WARN|FAIL)\s+(.*?)",?$', line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    return result, rows


def test_a_clean_host_passes_and_every_unit_is_sandboxed(play):
    result, rows = audit(play)
    assert result.returncode == 0, result.stdout[-3000:]
    assert rows["certificate /etc/nginx/tls/efficientai.crt"][0] == "PASS"
    assert rows["world-readable files in /etc/efficientai"][0] == "PASS"
    # The containers share the machine's network: other scenarios' listeners show up too. None of
    # this scenario's range (21000-21999) may.
    assert not re.search(r"\b21\d{3}\b", rows["ports open beyond the declared ones"][1]), rows
    assert "pending security updates" in rows
    exposure = {check[len("exposure of "):]: value for check, value in rows.items() if check.startswith("exposure of ")}
    print("systemd-analyze security:", exposure)
    assert set(exposure) >= {"nginx.service", "sample.service", "sample-b.service"}
    assert all(not detail.endswith(("UNSAFE", "EXPOSED")) for _status, detail in exposure.values()), exposure


def test_findings_are_reported_and_can_fail_the_run(host, play):
    host.run("touch /etc/efficientai/leaked.env && chmod 0644 /etc/efficientai/leaked.env")
    host.run("systemd-run --unit audit-probe python3 -m http.server 21950 --bind 0.0.0.0")
    try:
        for _attempt in range(20):
            if host.socket("tcp://0.0.0.0:21950").is_listening:
                break
            host.run("sleep 0.5")
        result, rows = audit(play, security_audit_certificate_warn_days=400, security_audit_fail_on_findings=True)
    finally:
        host.run("systemctl stop audit-probe")
        host.run("rm -f /etc/efficientai/leaked.env")
    assert result.returncode != 0
    status, detail = rows["certificate /etc/nginx/tls/efficientai.crt"]
    assert status == "FAIL" and "expires within 400 days" in detail
    assert rows["world-readable files in /etc/efficientai"] == ("FAIL", "/etc/efficientai/leaked.env")
    status, detail = rows["ports open beyond the declared ones"]
    assert status == "FAIL" and "0.0.0.0 21950 audit-probe.service" in detail
