# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""BentoML tags, and the bentoml CLI of one installation run from a module against one
store (BENTOML_HOME): listing, import and export of bentos and models."""

from __future__ import annotations

import json
import re
import tarfile

# BentoML's own rule (bentoml._internal.tag): each part lowercase, at most 63 characters.
_TAG_PART = re.compile(r'^[a-z0-9]([-._a-z0-9]*[a-z0-9])?$')
_TAG_PART_MAX = 63
TAG_RULE = ("a BentoML tag is name:version, each part lowercase letters, digits, '_', '-' or '.', "
            "starting and ending with a letter or digit, at most 63 characters")
_IMPORTED = re.compile(r'(?:Bento|Model)\(tag="([^"]+)"\) imported')
_NOT_FOUND = re.compile(r'is not found in BentoML store')
# The metadata file at the root of an exported archive, per kind.
_ARCHIVE_INFO = {'bento': 'bento.yaml', 'model': 'model.yaml'}
_YAML_FIELD = re.compile(r'^(name|version):\s*[\'"]?([^\'"\s]+)[\'"]?\s*$')


def tag_problem(tag, require_version=True):
    """Return why `tag` is not a usable tag (None when it is one).

    With require_version, the version must be named and not `latest`: a deployment that
    follows `latest` could not tell whether the store already holds what it wants."""
    if not isinstance(tag, str) or not tag:
        return f"expected a tag such as iris_classifier:1.0.0, got {tag!r}"
    name, colon, version = tag.partition(':')
    if require_version and not version:
        return f"'{tag}' names no version: {TAG_RULE}"
    if require_version and version == 'latest':
        return f"'{tag}' follows latest: name a fixed version, such as {name}:1.0.0"
    parts = [name, version] if colon else [name]
    for part in parts:
        if len(part) > _TAG_PART_MAX or not _TAG_PART.match(part):
            return f"'{tag}' is not valid: {TAG_RULE}"
    return None


def archive_tag(path, kind):
    """Return the tag (name:version) recorded in an exported tar archive, or None when the
    file is not a tar archive or holds no metadata of that kind."""
    wanted = _ARCHIVE_INFO[kind]
    try:
        with tarfile.open(path, 'r:*') as archive:
            for member in archive:
                if member.isfile() and member.name.lstrip('./') == wanted:
                    fields = {}
                    for line in archive.extractfile(member).read().decode('utf-8', 'replace').splitlines():
                        match = _YAML_FIELD.match(line)
                        if match:
                            fields.setdefault(match.group(1), match.group(2))
                    if 'name' in fields and 'version' in fields:
                        return f"{fields['name']}:{fields['version']}"
                    return None
    except (OSError, tarfile.TarError, EOFError):
        return None
    return None


class BentomlCliError(Exception):
    """The CLI failed; the message holds its last output lines, secrets removed."""


class BentomlCli:
    """The bentoml CLI of one installation, working on the store at `home`, run by a module."""

    def __init__(self, module, executable, home, environment=None):
        self.module = module
        self.executable = executable
        self.secrets = [str(value) for value in (environment or {}).values() if len(str(value)) >= 4]
        # No usage reports: the hosts of the stack need not reach the internet.
        self.environ = dict(environment or {}, BENTOML_HOME=home, BENTOML_DO_NOT_TRACK='true')

    def run(self, args, allow_not_found=False):
        """Run `bentoml ARGS`; return stdout, or None for a tag the store does not hold."""
        rc, stdout, stderr = self.module.run_command(
            [self.executable] + list(args), environ_update=self.environ, check_rc=False)
        if rc == 0:
            return stdout
        if allow_not_found and _NOT_FOUND.search(stderr):
            return None
        tail = '\n'.join((stderr.strip() or stdout.strip()).splitlines()[-3:])
        for secret in self.secrets:
            tail = tail.replace(secret, '********')
        raise BentomlCliError(f"bentoml {' '.join(args[:2])} failed (exit {rc}): {tail}")

    @staticmethod
    def _group(kind):
        return ['models'] if kind == 'model' else []

    def get(self, kind, tag):
        """Return the details of a bento or model, or None when the store does not hold it."""
        stdout = self.run(self._group(kind) + ['get', tag, '--output', 'json'], allow_not_found=True)
        return None if stdout is None else json.loads(stdout)

    def listing(self, kind):
        """Return the bentos or models of the store: [{tag, size, creation_time, ...}]."""
        return json.loads(self.run(self._group(kind) + ['list', '--output', 'json']) or '[]')

    def import_archive(self, kind, source):
        """Import an exported archive (a path or an fsspec URL such as s3://) and return its tag."""
        stdout = self.run(self._group(kind) + ['import', source])
        match = _IMPORTED.search(stdout)
        if not match:
            raise BentomlCliError(f'bentoml import of {source} did not report what it imported')
        return match.group(1)

    def export(self, kind, tag, dest):
        self.run(self._group(kind) + ['export', tag, dest])

    def delete(self, kind, tag):
        self.run(self._group(kind) + ['delete', '--yes', tag])
