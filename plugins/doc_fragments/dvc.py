# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that work on a DVC project."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  path:
    description:
      - Root directory of the DVC project (the directory that holds C(.dvc/)).
    type: path
    required: true
  executable:
    description:
      - The C(dvc) command, as a name looked up in C(PATH) or an absolute path, for example
        V(/opt/efficientai/dvc/venv/bin/dvc) as installed by the C(efficientai.mlops.dvc) role.
      - DVC must be installed in a virtual environment (or next to its interpreter); the module
        uses that interpreter to read and write the configuration with DVC's own code.
    type: str
    default: dvc
requirements:
  - DVC 3 on the managed host.
notes:
  - DVC runs with E(DVC_NO_ANALYTICS=1), so no usage report leaves the host.
  - Run the module as the owner of the project (C(become_user)); run as root, the files it
    creates in the project are given to the owner of C(.dvc/).
"""
