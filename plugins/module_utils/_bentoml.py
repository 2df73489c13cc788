# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""BentoML tags, and one BentoML store (BENTOML_HOME) as a module sees it: read from its
metadata files, changed (import, export, delete) with the bentoml CLI of an installation."""

from __future__ import annotations

import os
import re
import tarfile

# BentoML's own rule (bentoml._internal.tag): each part lowercase, at most 63 characters.
_TAG_PART = re.compile(r'^[a-z0-9]([-._a-z0-9]*[a-z0-9])?$')
_TAG_PART_MAX = 63
TAG_RULE = ("a BentoML tag is name:version, each part lowercase letters, digits, '_', '-' or '.', "
            "starting and ending with a letter or digit, at most 63 characters")
_IMPORTED = re.compile(r'(?:Bento|Model)\(tag="([^"]+)"\) imported')
# Where each kind lives in a store, and its metadata file (also at the root of an archive).
_GROUP = {'bento': 'bentos', 'model': 'models'}
_INFO_FILE = {'bento': 'bento.yaml', 'model': 'model.yaml'}
# A top-level `key: scalar` line of that YAML file (nested values are indented).
_TOP_LEVEL_FIELD = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*):[ \t]*(.*?)[ \t]*$')


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


def metadata_fields(text):
    """The top-level scalar fields of a bento.yaml or model.yaml, as strings."""
    fields = {}
    for line in text.splitlines():
        match = _TOP_LEVEL_FIELD.match(line)
        if match and match.group(2) not in ('', '{}', '[]', '|', '>', '~', 'null'):
            fields[match.group(1)] = match.group(2).strip('\'"')
    return fields


def _tag_of(fields):
    return f"{fields['name']}:{fields['version']}" if 'name' in fields and 'version' in fields else None


def archive_tag(path, kind):
    """Return the tag (name:version) recorded in an exported tar archive, or None when the
    file is not a tar archive or holds no metadata of that kind."""
    wanted = _INFO_FILE[kind]
    try:
        with tarfile.open(path, 'r:*') as archive:
            for member in archive:
                if member.isfile() and member.name.lstrip('./') == wanted:
                    return _tag_of(metadata_fields(archive.extractfile(member).read().decode('utf-8', 'replace')))
    except (OSError, tarfile.TarError, EOFError):
        return None
    return None


class BentomlCliError(Exception):
    """The CLI failed; the message holds its last output lines, secrets removed."""


class BentomlStore:
    """One store (`home`): read from its files, as `bentoml get` and `bentoml list` do but
    without starting the CLI (seconds each); changed with the CLI `executable`."""

    def __init__(self, module, executable, home, environment=None):
        self.module = module
        self.executable = executable
        self.home = home
        self.secrets = [str(value) for value in (environment or {}).values() if len(str(value)) >= 4]
        # No usage reports: the hosts of the stack need not reach the internet.
        self.environ = dict(environment or {}, BENTOML_HOME=home, BENTOML_DO_NOT_TRACK='true')

    def get(self, kind, tag):
        """Return the top-level fields of a bento's or model's metadata, or None when the store lacks it."""
        name, version = tag.partition(':')[::2]
        try:
            with open(os.path.join(self.home, _GROUP[kind], name, version, _INFO_FILE[kind])) as stream:
                return metadata_fields(stream.read())
        except (FileNotFoundError, NotADirectoryError):
            return None

    def listing(self, kind):
        """Return the bentos or models of the store, sorted by tag: [{tag, creation_time, ...}]."""
        items = []
        root = os.path.join(self.home, _GROUP[kind])
        for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            versions = os.path.join(root, name)
            for version in sorted(os.listdir(versions)) if os.path.isdir(versions) else []:
                fields = self.get(kind, f'{name}:{version}')  # None for the `latest` pointer file
                if fields is not None:
                    items.append(dict(fields, tag=f'{name}:{version}'))
        return items

    def run(self, args):
        """Run `bentoml ARGS` against the store and return its output."""
        rc, stdout, stderr = self.module.run_command(
            [self.executable] + list(args), environ_update=self.environ, check_rc=False)
        if rc == 0:
            return stdout
        tail = '\n'.join((stderr.strip() or stdout.strip()).splitlines()[-3:])
        for secret in self.secrets:
            tail = tail.replace(secret, '********')
        raise BentomlCliError(f"bentoml {' '.join(args[:2])} failed (exit {rc}): {tail}")

    @staticmethod
    def _cli_group(kind):
        return ['models'] if kind == 'model' else []

    def import_archive(self, kind, source):
        """Import an exported archive (a path or an fsspec URL such as s3://) and return its tag."""
        stdout = self.run(self._cli_group(kind) + ['import', source])
        match = _IMPORTED.search(stdout)
        if not match:
            raise BentomlCliError(f'bentoml import of {source} did not report what it imported')
        return match.group(1)

    def export(self, kind, tag, dest):
        self.run(self._cli_group(kind) + ['export', tag, dest])

    def delete(self, kind, tag):
        self.run(self._cli_group(kind) + ['delete', '--yes', tag])
