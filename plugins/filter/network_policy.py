# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may reach what, from the inventory: the listeners each role declares (its `listeners`
entry point: name, port, bind addresses, client groups) become a host's inbound firewall rules,
and the rules of every host become the connection matrix the tests probe and the README shows."""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.plugin_utils.settings import is_port

ANY = 'any'
_PORT = re.compile(r'^([0-9]{1,5})(?::([0-9]{1,5}))?$')
_NAME = re.compile(r'^[a-z0-9][a-z0-9_.-]*$')


def _fail(listener, field, message):
    """Refuse a listener, naming the role's variable behind the field (its `variables` map)."""
    role, variable = listener.get('role'), (listener.get('variables') or {}).get(field)
    where = f" of the {role} role" if role else ''
    change = f': change {variable}' if variable else ''
    raise AnsibleFilterError(f"listener {listener.get('name', '?')!r}{where}{change}: {message}")


def _port_problem(port):
    """Why `port` is not a port 1-65535 or a range first:last, or None."""
    match = _PORT.match(str(port))
    if match and 1 <= int(match.group(1)) <= int(match.group(2) or match.group(1)) <= 65535:
        return None
    return f"port must be a number 1-65535 or a range first:last with first <= last (got {port!r})"


def _ports(listener):
    """(first, last) of a port or a range 'first:last'."""
    problem = _port_problem(listener.get('port', ''))
    if problem:
        _fail(listener, 'port', problem)
    first, _colon, last = str(listener['port']).partition(':')
    return int(first), int(last or first)


def _is_loopback(address):
    if address == 'localhost':
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _address(text, what):
    """The address of a bind address or client, refused when it does not parse."""
    try:
        return str(ipaddress.ip_address(str(text).strip('[]')))
    except ValueError:
        raise AnsibleFilterError(f'{what} must be an IPv4 or IPv6 address, got {text!r}') from None


def normalize(listener):
    """{name, port, proto, addresses, clients} of a declared listener, checked. `listen: host:port`
    stands for one address and its port; `variables` (the role's variables it comes from) and
    `role` only name them in errors."""
    if not isinstance(listener, dict):
        raise AnsibleFilterError(f'a listener must be a mapping, got {listener!r}')
    listener = dict(listener)
    if 'listen' in listener:
        host, _colon, port = str(listener.pop('listen')).rpartition(':')
        if not host:
            _fail(listener, 'addresses', f'listen must be host:port, got {port!r}')
        listener.update(addresses=[host.strip('[]')], port=port)
    if not _NAME.match(str(listener.get('name', ''))):
        _fail(listener, 'name', 'name must be lowercase letters, digits, ".", "_" or "-"')
    first, last = _ports(listener)
    proto = listener.get('proto', 'tcp')
    if proto not in ('tcp', 'udp'):
        _fail(listener, 'proto', f'proto must be tcp or udp, got {proto!r}')
    addresses, clients = listener.get('addresses'), listener.get('clients')
    if isinstance(addresses, str) or not isinstance(addresses, list) or not addresses:
        _fail(listener, 'addresses', f'addresses must be a non-empty list of bind addresses, got {addresses!r}')
    if isinstance(clients, str) or not isinstance(clients, list):
        _fail(listener, 'clients', f"clients must be a list of inventory groups (or ['any']), got {clients!r}")
    for address in addresses:
        if address not in ('localhost', '0.0.0.0', '::', '*'):
            try:
                _address(address, 'a bind address')
            except AnsibleFilterError as error:
                _fail(listener, 'addresses', str(error))
    return {'name': listener['name'], 'port': f'{first}' if first == last else f'{first}:{last}', 'proto': proto,
            'addresses': list(addresses), 'clients': list(clients)}


def invalid_networks(values):
    """The values that are not an IPv4 or IPv6 address or network (CIDR): firewall sources."""
    if isinstance(values, str) or not isinstance(values, list):
        raise AnsibleFilterError(f'invalid_networks: expected a list of addresses or networks, got {values!r}')
    invalid = []
    for value in values:
        try:
            ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            invalid.append(value)
    return invalid


def _rule_problems(index, rule):
    where = f"firewall_rules[{index}]"
    if not isinstance(rule, dict):
        return [f"{where} must be a dict of name, port, proto, sources and groups (got {rule!r})"]
    where += f" ({rule['name']})" if 'name' in rule else ''
    problems = [f"{where} needs a {key}" for key in ('name', 'port') if key not in rule]
    port_problem = _port_problem(rule['port']) if 'port' in rule else None
    if port_problem:
        problems.append(f"{where}: {port_problem}")
    for key in ('sources', 'groups'):
        if key in rule and not isinstance(rule[key], list):
            problems.append(f"{where}: {key} must be a list (got {rule[key]!r})")
    if isinstance(rule.get('sources'), list) and invalid_networks(rule['sources']):
        problems.append(f"{where}: sources must be IPv4 or IPv6 addresses or networks such as 10.0.0.0/8; "
                        f"these do not parse: {invalid_networks(rule['sources'])}")
    return problems


def firewall_settings_problems(rules, ssh_sources, ssh_port):
    """One message per problem of the firewall role's inputs, each naming its variable; [] when valid.
    A string where a list belongs is a mistake (the argument spec would make it a one-item list)."""
    problems = []
    if not isinstance(rules, list):
        problems.append(f"firewall_rules must be a list of {{name, port, proto, sources, groups}} (got {rules!r})")
    else:
        for index, rule in enumerate(rules):
            problems += _rule_problems(index, rule)
    if not isinstance(ssh_sources, list):
        problems.append(f"firewall_ssh_sources must be a list of addresses or networks such as 10.0.0.0/8 "
                        f"(got {ssh_sources!r})")
    elif invalid_networks(ssh_sources):
        problems.append(f"firewall_ssh_sources must be IPv4 or IPv6 addresses or networks such as 10.0.0.0/8; "
                        f"these do not parse: {invalid_networks(ssh_sources)}")
    if not is_port(ssh_port):
        problems.append(f"firewall_ssh_port must be a number 1-65535 (got {ssh_port!r})")
    return problems


def host_address(host, hostvars):
    """The private address of an inventory host (mlops_private_address, else ansible_host, else its name)."""
    variables = hostvars[host]
    text = variables.get('mlops_private_address') or variables.get('ansible_host') or host
    return _address(text, f'mlops_private_address of {host} (its address on the private network)')


def firewall_rules(listeners, groups, hostvars, extra_rules=None):
    """Inbound rules {name, port, proto, sources} of one host from its declared listeners (a list, or
    {role: listeners}): a listener bound to loopback only needs none; `any` among the clients opens it
    to every source; otherwise the private addresses of the client groups' hosts. A listener whose
    client groups have no host gets no rule: nobody may connect (an empty source list would mean
    everybody). extra_rules (the user's firewall_rules of this host) come first, as they are."""
    if isinstance(listeners, dict):
        listeners = [dict(listener, role=role) if isinstance(listener, dict) else listener
                     for role, declared in listeners.items() for listener in (declared or [])]
    if not isinstance(listeners, list):
        raise AnsibleFilterError(f'firewall_rules: expected a list of listeners, got {type(listeners).__name__}')
    rules = list(extra_rules or [])
    for listener in map(normalize, listeners):
        if all(_is_loopback(address) for address in listener['addresses']):
            continue
        if ANY in listener['clients']:
            sources = []
        else:
            hosts = sorted({host for group in listener['clients'] for host in groups.get(group, [])})
            sources = sorted({host_address(host, hostvars) for host in hosts})
            if not sources:
                continue
        rule = {'name': listener['name'], 'port': listener['port'], 'proto': listener['proto'], 'sources': sources,
                'clients': listener['clients']}
        if rule not in rules:
            rules.append(rule)
    return rules


def _opens(rule, port, proto, source):
    first, _colon, last = rule['port'].partition(':')
    return (rule.get('proto', 'tcp') == proto and int(first) <= port <= int(last or first)
            and (not rule['sources'] or any(ipaddress.ip_address(source) in ipaddress.ip_network(s, strict=False)
                                            for s in rule['sources'])))


def connection_matrix(rules_by_host, destinations, sources, ssh_port=22):
    """Rows {source, destination, name, port, proto, open} for every source (name → address) and every
    port any host's rules name, on every destination host (name → address). SSH is open from anywhere
    unless a rule named ssh says otherwise. Ranges are expanded."""
    ports = {(ssh_port, 'tcp', 'ssh')}
    for rules in rules_by_host.values():
        for rule in rules:
            first, _colon, last = str(rule['port']).partition(':')
            ports.update((port, rule.get('proto', 'tcp'), rule['name']) for port in range(int(first), int(last or first) + 1))
    rows = []
    for destination, _address in sorted(destinations.items()):
        rules = list(rules_by_host.get(destination, []))
        if not any(rule['name'] == 'ssh' for rule in rules):
            rules.append({'name': 'ssh', 'port': str(ssh_port), 'proto': 'tcp', 'sources': []})
        for port, proto, name in sorted(ports):
            for source, source_address in sorted(sources.items()):
                if source == destination:
                    continue
                opened = [rule for rule in rules if _opens(rule, port, proto, source_address)]
                rows.append({'source': source, 'destination': destination, 'port': port, 'proto': proto,
                             'name': opened[0]['name'] if opened else name, 'open': bool(opened)})
    return rows


def reachability_table(rules_by_host, groups, hostvars, ssh_port=22):
    """Markdown lines of "who can reach what": one row per host and rule, with the client groups
    (the `clients` of rules the roles declared) and the hosts they hold."""
    names = {host_address(host, hostvars): host for host in groups.get('all', [])}

    def who(rule):
        if not rule['sources']:
            return 'anyone'
        hosts = ', '.join(names.get(address, address) for address in rule['sources'])
        clients = rule.get('clients')
        return f"{', '.join(f'`{group}`' for group in clients)}: {hosts}" if clients else hosts

    lines = ['| host | listener | port | who may connect |', '| --- | --- | --- | --- |',
             f'| every host | ssh | {ssh_port}/tcp | anyone (`firewall_ssh_sources` narrows it) |']
    for host in sorted(rules_by_host):
        lines.extend(f"| {host} | {rule['name']} | {str(rule['port']).replace(':', '-')}/{rule.get('proto', 'tcp')} | {who(rule)} |"
                     for rule in rules_by_host[host])
    lines.append('| every host | anything else | | nobody (dropped) |')
    return lines


class FilterModule:
    """Network policy filters."""

    def filters(self):
        return {
            'firewall_rules': firewall_rules,
            'invalid_networks': invalid_networks,
            'firewall_settings_problems': firewall_settings_problems,
            'connection_matrix': connection_matrix,
            'reachability_table': reachability_table,
        }
