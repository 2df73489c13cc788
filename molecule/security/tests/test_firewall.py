"""The firewall as written on a host whose network namespace is the machine's own (so it is
never loaded there): the nftables ruleset loads in a throwaway namespace with default deny, SSH
and only this host's rules; the ufw backend runs in check mode in such a namespace; bad rules
are refused before anything is written."""

import pytest

testinfra_hosts = ["ansible://security-proxy"]

RULES = [{"name": "https", "port": 21443}, {"name": "redirect", "port": "21480", "sources": ["10.0.0.0/8"]}]


def test_nftables_ruleset_loads_with_default_deny_ssh_and_this_hosts_rules(host):
    table = host.run("unshare --user --map-root-user --net sh -c "
                     "'nft --file /etc/efficientai/firewall.nft && nft list table inet efficientai_filter'")
    assert table.rc == 0, table.stderr
    assert "type filter hook input priority filter; policy drop;" in table.stdout
    assert 'tcp dport 22 accept comment "ssh"' in table.stdout
    assert 'tcp dport 21443 accept comment "https"' in table.stdout
    assert 'ip saddr 10.0.0.0/8 tcp dport 21480 accept comment "redirect"' in table.stdout
    assert "21900" not in table.stdout  # the monitoring group's rule is not this host's


def test_firewall_is_not_loaded_on_the_shared_network(host):
    assert not host.file("/etc/systemd/system/efficientai-firewall.service").exists


def test_ufw_backend_predicts_its_rules_in_check_mode(play):
    result = play("firewall.yml", {"target_hosts": "security-client", "firewall_backend": "ufw", "firewall_rules": RULES,
                                   "ansible_python_interpreter": "/usr/local/bin/python3-netns"}, "--check", "-v")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    for command in ("ufw --dry-run allow from any to any port 22 proto tcp",
                    "ufw --dry-run allow from 10.0.0.0/8 to any port 21480 proto tcp"):
        assert command in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("rules, variable", [
    ([{"name": "web", "port": 70000}], "port"),
    ([{"name": "web", "port": "80-90"}], "port"),
    ([{"name": "web", "port": 80, "sources": ["10.0.0.0/33x"]}], "source"),
    ([{"name": "web", "port": 80, "sources": "10.0.0.0/8"}], "sources"),
    ([{"port": 80}], "name"),
])
def test_bad_rules_are_refused(host, play, rules, variable):
    before = host.file("/etc/efficientai/firewall.nft").md5sum
    result = play("firewall.yml", {"target_hosts": "security-proxy", "firewall_rules": rules, "firewall_apply": False})
    output = result.stdout + result.stderr  # Molecule's settings send failures to stderr
    assert result.returncode != 0
    assert "firewall_rules" in output, output[-2000:]
    assert variable in output
    assert host.file("/etc/efficientai/firewall.nft").md5sum == before
