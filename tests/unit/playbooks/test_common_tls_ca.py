"""_common's tls_ca entry point on this machine: the private CA's certificate is looked for on
the controller (without a module run there) and copied; a real run without it stops with the
caller's hint, a dry run reports what a real run installs, and a second run changes nothing."""

import os

import pytest

PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"


@pytest.fixture
def spec(tmp_path):
    return {"dest": str(tmp_path / "installed" / "ca.crt"), "ca_dir": str(tmp_path / "pki"),
            "missing_hint": "Run the role that makes the CA first."}


def run(ansible_playbook, spec, check=False):
    os.makedirs(os.path.dirname(spec["dest"]), exist_ok=True)
    return ansible_playbook("common_tls_ca.yml", {"tls_ca_caller_spec": spec}, check=check)


def test_a_missing_private_ca_stops_a_real_run_with_the_hint(ansible_playbook, spec):
    result = run(ansible_playbook, spec)
    assert result.rc != 0
    refused = result.result("Refuse a bad destination or a missing private CA")
    assert f"There is no private CA at {spec['ca_dir']}/ca.crt" in refused["msg"], refused
    assert "Run the role that makes the CA first." in refused["msg"]
    assert not os.path.exists(spec["dest"])


def test_a_dry_run_reports_what_a_real_run_installs(ansible_playbook, spec):
    result = run(ansible_playbook, spec, check=True)
    assert result.rc == 0, result.output
    assert result.result("Report the CA certificate a real run installs")["changed"] is True
    assert not os.path.exists(spec["dest"])


def test_the_private_ca_is_copied_once(ansible_playbook, spec):
    os.makedirs(spec["ca_dir"])
    with open(os.path.join(spec["ca_dir"], "ca.crt"), "w", encoding="utf-8") as stream:
        stream.write(PEM)
    first, second = run(ansible_playbook, spec), run(ansible_playbook, spec)
    assert first.rc == 0 and second.rc == 0, first.output + second.output
    assert first.result("Copy the CA certificate")["changed"] is True
    assert second.result("Copy the CA certificate")["changed"] is False
    assert second.result("Report whether it changed")["msg"] is False
    with open(spec["dest"], encoding="utf-8") as stream:
        assert stream.read() == PEM
    assert oct(os.stat(spec["dest"]).st_mode & 0o777) == "0o644"


def test_a_certificate_given_as_pem_needs_no_private_ca(ansible_playbook, spec):
    result = run(ansible_playbook, dict(spec, certificate=PEM))
    assert result.rc == 0, result.output
    assert result.result("Copy the CA certificate")["changed"] is True
    with open(spec["dest"], encoding="utf-8") as stream:
        assert stream.read() == PEM
