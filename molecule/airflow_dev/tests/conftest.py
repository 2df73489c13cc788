"""The airflow scenarios share their helpers and fixtures in molecule/_airflow."""

import importlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "_airflow"))
fixtures = importlib.import_module("fixtures")

variables = fixtures.variables
api = fixtures.api
play = fixtures.play
