"""Test bed only: hooks for the controller's Python, found through PYTHONPATH, which
.config/molecule/config.yml sets for Molecule's runs, with the cache directory. CI is CPU-bound on
two cores (issue 19), and these caches keep work that every task or run repeated:
- the modules Ansible runs locally (community.docker's and community.crypto's, delegate_to
  localhost) keep the code Python compiles for them, as the containers' do
  (efficientai_ansiballz_cache.py);
- ansible-playbook keeps the module payloads it builds from one run to the next
  (efficientai_ansiballz_payloads.py);
- Jinja keeps the code it compiles for each template across Ansible's worker processes
  (efficientai_jinja_cache.py)."""

import efficientai_ansiballz_cache  # noqa: F401  pylint: disable=unused-import
from efficientai_after_import import after_import
from efficientai_ansiballz_payloads import share_run_directory
from efficientai_jinja_cache import install as cache_jinja_compiles

after_import('ansible.executor.module_common', share_run_directory)
after_import('jinja2.environment', cache_jinja_compiles)
