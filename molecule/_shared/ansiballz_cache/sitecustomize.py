"""Test bed only: the controller's Python, for the modules Ansible runs locally (community.docker's
and community.crypto's, delegate_to localhost), keeps the code it compiles for them as the
containers' does (efficientai_ansiballz_cache.py). Found through PYTHONPATH, which
.config/molecule/config.yml sets for Molecule's runs, with the cache directory."""

import efficientai_ansiballz_cache  # noqa: F401  pylint: disable=unused-import
