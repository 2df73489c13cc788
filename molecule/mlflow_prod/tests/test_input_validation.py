"""Bad input is refused by preflight, naming the variable, before anything changes."""

import json
import os
import subprocess

import pytest

testinfra_hosts = ["ansible://mlflow-prod-db"]
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD_USER = {"name": "mlflow", "password": "tracking-db-Secret-42"}


def apply(role, hosts, variables, tmp_path):
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(variables, target_role=role, target_hosts=hosts)))
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(SCENARIO, "role.yml"), "-e", f"@{extra}"],
                            capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("variables, message", [
    ({"postgres_users": [GOOD_USER, {"name": "reader", "password": "Password1234!"}]},
     "the password of postgres_users[1] (reader) needs at least 12 characters"),
    ({"postgres_users": [{"name": "reader", "password": ""}]},
     "the password of postgres_users[0] (reader) needs at least 12 characters"),
    ({"postgres_hba_entries": [{"type": "host", "database": "all", "user": "all", "address": "10.0.0.0/8",
                                "method": "md5"}]}, "method"),
    ({"postgres_hba_entries": [{"type": "host", "database": "all", "user": "all", "address": "10.0.0.1/8",
                                "method": "scram-sha-256"}]}, "postgres_hba_entries: entry 1: address must be a CIDR"),
    ({"postgres_hba_entries": [{"type": "host", "database": "mlflow", "user": "mlflow", "address": "10.0.0.0/24",
                                "method": "scram-sha-256"}]},
     "entry 1 (host mlflow mlflow 10.0.0.0/24): a client outside loopback would send its password without TLS"),
    ({"postgres_tls_certificate": "/nonexistent/server.crt"}, "postgres_tls_key is empty while postgres_tls_certificate is set"),
    ({"postgres_databases": [{"name": "mlflow", "owner": "nobody"}]},
     "postgres_databases[0] (mlflow): owner 'nobody' is not a role of postgres_users nor postgres"),
    ({"postgres_listen_addresses": "0.0.0.0"}, "postgres_listen_addresses must be a non-empty list"),
])
def test_postgres_refuses(host, tmp_path, variables, message):
    config = host.file("/etc/postgresql/15/main/conf.d/efficientai.conf").content_string
    hba = host.file("/etc/postgresql/15/main/pg_hba.conf").content_string
    code, output = apply("postgres", "db", variables, tmp_path)
    assert code != 0 and message in output, output[-3000:]
    assert "Password1234!" not in output
    assert host.file("/etc/postgresql/15/main/conf.d/efficientai.conf").content_string == config
    assert host.file("/etc/postgresql/15/main/pg_hba.conf").content_string == hba


@pytest.mark.parametrize("variables, message", [
    ({"mlflow_admin_password": "Password1234!"}, "mlflow_admin_password needs at least 12 characters"),
    ({"mlflow_flask_secret_key": "short"}, "mlflow_flask_secret_key needs at least 32 characters"),
    ({"mlflow_db_password": "changeme-2024"}, "mlflow_db_password"),
    ({"mlflow_auth_db_name": "mlflow"}, "mlflow_auth_db_name must differ"),
    ({"mlflow_artifacts_destination": "relative/dir"}, "mlflow_artifacts_destination must be"),
    ({"mlflow_db_tls": False, "mlflow_db_host": "10.1.2.3"}, "would send the database password in clear"),
    ({"mlflow_db_options": {"sslmode": "disable"}}, "leave sslmode and"),
])
def test_mlflow_refuses(tmp_path, variables, message):
    code, output = apply("mlflow", "tracking", variables, tmp_path)
    assert code != 0 and message in output, output[-3000:]
    assert "Password1234!" not in output and "changeme-2024" not in output
