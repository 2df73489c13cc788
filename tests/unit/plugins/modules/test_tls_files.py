"""Unit tests of the tls_files module (as root: the directory and certificates belong to root)."""

import grp
import os
import pwd

import pytest

from ansible_collections.efficientai.mlops.plugins.modules import tls_files

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the files belong to root: run the unit tests as root")

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\ns3cret-key-material\n-----END PRIVATE KEY-----\n"
CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
# A user and group other than root's, so that ownership is really checked.
SERVICE_USER = "nobody"
SERVICE_GROUP = grp.getgrgid(pwd.getpwnam(SERVICE_USER).pw_gid).gr_name


@pytest.fixture
def args(tmp_path):
    return {"dir": str(tmp_path / "tls" / "postgres"), "group": SERVICE_GROUP, "certificate": CERTIFICATE, "key": KEY,
            "key_owner": SERVICE_USER, "key_mode": "0640", "ca_certificate": CA}


def attributes(path):
    status = os.stat(path)
    return oct(status.st_mode & 0o7777), pwd.getpwuid(status.st_uid).pw_name, grp.getgrgid(status.st_gid).gr_name


def test_the_first_call_writes_and_the_second_does_not(args, run_module, tmp_path):
    (tmp_path / "tls").mkdir()
    first = run_module(tls_files, args)
    assert first["changed"] and first["certificate_changed"] and first["key_changed"] and first["ca_changed"]
    directory = args["dir"]
    assert attributes(directory) == ("0o750", "root", SERVICE_GROUP)
    assert attributes(f"{directory}/efficientai.crt") == ("0o644", "root", SERVICE_GROUP)
    assert attributes(f"{directory}/efficientai.key") == ("0o640", SERVICE_USER, SERVICE_GROUP)
    assert attributes(f"{directory}/ca.crt") == ("0o644", "root", "root")
    assert open(f"{directory}/efficientai.key", encoding="utf-8").read() == KEY
    second = run_module(tls_files, args)
    assert not second["changed"] and second["attributes_fixed"] == []


def test_check_mode_predicts_and_the_key_never_shows(args, run_module):
    predicted = run_module(tls_files, args, check_mode=True)
    assert predicted["changed"] and not os.path.exists(args["dir"])
    assert "s3cret" not in str(predicted) and predicted["diff"]["after"]["certificate"] == CERTIFICATE
    run_module(tls_files, args)
    renewed = run_module(tls_files, dict(args, key=KEY.replace("s3cret", "n3w")), check_mode=True)
    assert renewed["changed"] and renewed["key_changed"] and not renewed["certificate_changed"]
    assert "s3cret" not in str(renewed) and "n3w" not in str(renewed)
    assert open(os.path.join(args["dir"], "efficientai.key"), encoding="utf-8").read() == KEY


def test_a_new_certificate_alone_is_written_and_reported(args, run_module):
    run_module(tls_files, args)
    renewed = run_module(tls_files, dict(args, certificate=CERTIFICATE.replace("MIIB", "MIIZ")))
    assert renewed["certificate_changed"] and not renewed["key_changed"] and not renewed["ca_changed"]


def test_a_wrong_mode_or_owner_is_fixed_without_rewriting(args, run_module):
    run_module(tls_files, args)
    key = os.path.join(args["dir"], "efficientai.key")
    os.chmod(key, 0o644)
    os.chown(key, 0, 0)
    fixed = run_module(tls_files, args)
    assert fixed["changed"] and fixed["attributes_fixed"] == [key] and not fixed["key_changed"]
    assert attributes(key) == ("0o640", SERVICE_USER, SERVICE_GROUP)


def test_names_and_key_file_name(args, run_module):
    done = run_module(tls_files, dict(args, basename="haproxy", key_name="haproxy.pem.key", ca_certificate=""))
    assert sorted(os.listdir(args["dir"])) == ["haproxy.crt", "haproxy.pem.key"] and not done["ca_changed"]


@pytest.mark.parametrize("override, message", [
    ({"key_mode": "rw"}, "key_mode must be an octal mode such as 0600 (got 'rw')"),
    ({"key_name": "../etc/shadow"}, "basename and key_name are file names"),
    ({"key_owner": "no-such-user-here"}, "no such user or group on this host"),
])
def test_bad_input_fails_before_anything_is_written(args, run_module, override, message):
    result = run_module(tls_files, dict(args, **override))
    assert result["failed"] and message in result["msg"] and not os.path.exists(args["dir"])
