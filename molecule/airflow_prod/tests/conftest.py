"""The airflow scenarios share their helpers and fixtures in molecule/_airflow."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_airflow"))

from fixtures import api, play, variables  # noqa: E402,F401
