"""The production stack on a network of its own, seen from each host and from an outsider (a
container on the same network in no inventory group): the firewall is loaded everywhere, every
connection the inventory allows works and every other one is dropped, the outsider reaches
nothing but SSH and the front's HTTPS ports, the front's TLS passes a real scanner, and SSH
stays open for the controller with host keys checked."""

import importlib
import json
import os
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

import pytest
from conftest import REPO, run_playbook, recaps

testinfra_hosts = ["ansible://production-ops"]
OUTSIDER = "production-outsider"
ARTIFACTS = os.path.join(REPO, ".cache", "artifacts")
PROBE = os.path.join(os.path.dirname(__file__), "probe.py")


def network_policy():
    """The collection's network_policy filters, imported as the collection (through the link `make
    setup` keeps under .cache/collections) so that their own imports of the collection resolve."""
    sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))
    return importlib.import_module("ansible_collections.efficientai.mlops.plugins.filter.network_policy")


def docker(container, *command, stdin=None, check=True):
    result = subprocess.run(["docker", "exec", "-i", container, *command], input=stdin, capture_output=True,
                            text=True, check=False)
    if check:
        assert result.returncode == 0, f"{container}: {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def inventory():
    """Groups and host variables as the inventory holds them (addresses are literal there)."""
    listing = subprocess.run(["ansible-inventory", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]), "--list"],
                             capture_output=True, text=True, check=True)
    return json.loads(listing.stdout)


@pytest.fixture(scope="module")
def addresses(inventory):
    """{host: private address} of every inventory host."""
    hostvars = inventory["_meta"]["hostvars"]
    return {host: hostvars[host]["mlops_private_address"] for host in sorted(hostvars)}


@pytest.fixture(scope="module")
def rules(addresses):
    """{host: the inbound rules the firewall role recorded as in force}."""
    return {host: json.loads(docker(host, "cat", "/etc/efficientai/firewall-rules.json").stdout)["rules"]
            for host in addresses}


def outsider_address():
    inspect = subprocess.run(["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                              OUTSIDER], capture_output=True, text=True, check=True)
    return inspect.stdout.strip()


def front_ports(rules):
    return sorted({int(rule["port"]) for rule in rules["production-ops"] if rule["name"].startswith("front-")})


def summary(rows):
    """One line per destination and port: who connected (open), who was dropped, anything else."""
    lines = []
    for key in sorted({(r["destination"], r["port"], r["proto"], r["name"]) for r in rows}):
        cell = [r for r in rows if (r["destination"], r["port"], r["proto"], r["name"]) == key]
        by_observation = {}
        for row in cell:
            by_observation.setdefault(row["observed"], []).append(row["source"].replace("production-", ""))
        seen = "; ".join(f"{observed} from {', '.join(sources)}" for observed, sources in sorted(by_observation.items()))
        lines.append(f"{key[0]:<22} {key[1]:>5}/{key[2]} {key[3]:<16} {seen}")
    return lines


def test_the_firewall_is_loaded_on_every_host(addresses):
    for host in addresses:
        table = docker(host, "nft", "list", "table", "inet", "efficientai_filter").stdout
        assert "policy drop" in table, f"{host}:\n{table}"


def test_every_connection_the_inventory_allows_works_and_no_other(addresses, rules):
    policy = network_policy()
    sources = dict(addresses, **{OUTSIDER: outsider_address()})
    rows = policy.connection_matrix(rules, addresses, sources)
    with open(PROBE, encoding="utf-8") as probe:
        code = probe.read()
    for source in sources:
        targets = [[addresses[row["destination"]], row["port"]] for row in rows if row["source"] == source]
        observed = json.loads(docker(source, "python3", "-", json.dumps(targets), stdin=code).stdout)
        for row in rows:
            if row["source"] == source:
                row["observed"] = observed[f"{addresses[row['destination']]}:{row['port']}"]
    lines = [f"{r['source']:<22} -> {r['destination']:<22} {r['port']:>5}/{r['proto']} {r['name']:<20} "
             f"expected {'open' if r['open'] else 'closed':<6} observed {r['observed']}" for r in rows]
    print("\nConnection matrix (from the inventory, probed from each host and the outsider; full list in "
          ".cache/artifacts/connection-matrix.txt):\n" + "\n".join(summary(rows)))
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "connection-matrix.txt"), "w", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")
    # Allowed means a service answers; forbidden means dropped (a reset would mean the firewall let it through).
    wrong = [line for line, row in zip(lines, rows) if row["observed"] != ("open" if row["open"] else "filtered")]
    assert not wrong, f"{len(wrong)} of {len(rows)} connections differ from the inventory:\n" + "\n".join(wrong)
    allowed = {(r["source"], r["destination"], r["port"]) for r in rows if r["open"]}
    # The policy itself, independently of the rules: PostgreSQL only from the hosts that use it.
    assert ("production-tracking-1", "production-db", 5432) in allowed
    assert ("production-ops", "production-db", 5432) in allowed
    assert ("production-serving", "production-db", 5432) not in allowed
    assert ("production-tracking-1", "production-tracking-2", 5000) not in allowed
    assert ("production-ops", "production-tracking-2", 5000) in allowed


def test_the_outsider_reaches_only_ssh_and_the_front(addresses, rules):
    # A full TCP scan (SYN, every port) of every host by Debian's nmap.
    scan = docker(OUTSIDER, "nmap", "-Pn", "-n", "-sS", "-p-", "-T4", "--min-rate", "15000", "--max-retries", "1",
                  "-oX", "-", *addresses.values()).stdout
    with open(os.path.join(ARTIFACTS, "nmap-outsider.xml"), "w", encoding="utf-8") as report:
        report.write(scan)
    found = {}
    for host in ElementTree.fromstring(scan).iter("host"):
        address = host.find("address").get("addr")
        found[address] = sorted(int(port.get("portid")) for port in host.iter("port")
                                if port.find("state").get("state") == "open")
    expected = {address: sorted([22] + (front_ports(rules) if host == "production-ops" else []))
                for host, address in addresses.items()}
    print(f"\nOpen TCP ports seen by the outsider: {found}")
    assert found == expected


def test_the_front_tls_passes_a_scanner(templated):
    ca = templated("mlops_ca_dir") + "/ca.crt"
    subprocess.run(["docker", "cp", ca, f"{OUTSIDER}:/root/private-ca.crt"], check=True)
    front = f"{templated('mlops_public_name')}:{templated('mlops_front_ports')['mlflow']}"
    docker(OUTSIDER, "rm", "-f", "/root/testssl.json")
    scan = docker(OUTSIDER, "testssl", "--quiet", "--color", "0", "--warnings", "batch", "--add-ca", "/root/private-ca.crt",
                  "--jsonfile", "/root/testssl.json", "--protocols", "--std", "--server-defaults", "--headers", front, check=False)
    findings = json.loads(docker(OUTSIDER, "cat", "/root/testssl.json").stdout)
    with open(os.path.join(ARTIFACTS, "testssl-front.json"), "w", encoding="utf-8") as report:
        json.dump(findings, report, indent=1)
    by_id = {finding["id"]: finding["finding"] for finding in findings}
    checks = {
        "no SSLv2, SSLv3, TLS 1.0, TLS 1.1": all(by_id.get(p, "").startswith("not offered") for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1")),
        "TLS 1.2 and 1.3": by_id.get("TLS1_2", "").startswith("offered") and by_id.get("TLS1_3", "").startswith("offered"),
        "no NULL, aNULL, EXPORT, LOW, 3DES/IDEA, AVERAGE (CBC without forward secrecy)": all(
            by_id.get(c, "").startswith("not offered") for c in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
                                                                 "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE")),
        "strong ciphers only": by_id.get("cipherlist_STRONG", "").startswith("offered"),
        "chain of trust to the private CA": by_id.get("cert_chain_of_trust", "").startswith("passed"),
        "HSTS for at least 180 days": by_id.get("HSTS_time", "").endswith("> 15552000 seconds"),
    }
    # testssl.sh 3.0 (Debian 12) has no letter rating: the grade is these checks, all of which must pass.
    print(f"\nTLS of the front ({front}) by Debian's testssl.sh: {sum(checks.values())}/{len(checks)} checks pass\n"
          + "\n".join(f"  {'PASS' if ok else 'FAIL'}  {name}" for name, ok in checks.items()))
    assert all(checks.values()), f"{checks}\n{scan.stdout[-3000:]}"


def test_ssh_stays_open_for_the_controller_with_host_keys_checked(addresses):
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    with tempfile.TemporaryDirectory() as workdir:
        known_hosts = os.path.join(workdir, "known_hosts")
        keys = subprocess.run(["ssh-keyscan", "-T", "10", "-t", "ed25519", *addresses.values()],
                              capture_output=True, text=True, check=False)
        with open(known_hosts, "w", encoding="utf-8") as stream:
            stream.write(keys.stdout)
        # The next play after the firewall: Ansible over SSH, host key checking on.
        env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="True",
                   ANSIBLE_SSH_ARGS=f"-o UserKnownHostsFile={known_hosts} -o StrictHostKeyChecking=yes")
        ping = subprocess.run(["ansible", "all", "-i", ",".join(addresses.values()) + ",", "-u", "root",
                               "--private-key", os.path.join(ephemeral, "id_ed25519"), "-m", "ansible.builtin.ping"],
                              capture_output=True, text=True, check=False, env=env)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert ping.stdout.count("SUCCESS") == len(addresses)
        # And with an unknown host key the connection is refused: checking is really on.
        with open(known_hosts, "w", encoding="utf-8") as stream:
            stream.write("")
        refused = subprocess.run(["ansible", "all", "-i", next(iter(addresses.values())) + ",", "-u", "root",
                                  "--private-key", os.path.join(ephemeral, "id_ed25519"), "-m", "ansible.builtin.ping"],
                                 capture_output=True, text=True, check=False, env=env)
        assert refused.returncode != 0 and "Host key verification failed" in refused.stdout + refused.stderr, refused.stdout


@pytest.mark.parametrize("variables, named", [
    ({"firewall_rules": [{"name": "metrics", "port": "99999"}]}, "firewall_rules"),
    ({"firewall_ssh_sources": ["10.0.0.300"]}, "firewall_ssh_sources"),
    ({"mlflow_host": "tracking.internal"}, "mlflow_host"),
    ({"monitoring_pushgateway_listen_address": "9091"}, "monitoring_pushgateway_listen_address"),
    ({"mlflow_auth_enabled": False}, "mlflow_auth_enabled"),
])
def test_bad_network_input_is_refused_before_any_change(variables, named):
    result = run_playbook("deploy.yml", "-e", json.dumps(variables))
    assert result.returncode != 0, result.output[-3000:]
    assert named in result.output, result.output[-3000:]
    assert all(recap["changed"] == 0 for recap in recaps(result.stdout).values()), result.stdout[-3000:]
