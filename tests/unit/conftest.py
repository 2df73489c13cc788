"""Makes the collection importable as ansible_collections.efficientai.mlops through
the link that `make setup` keeps under .cache/collections."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))
