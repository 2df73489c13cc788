"""Test bed only: runs a function on a module right after its first import, without importing it
earlier (the hooks of sitecustomize.py load in every Python the test bed starts on the controller)."""

import importlib.util
import sys


class _AfterImport:  # a meta path finder (importlib.abc.MetaPathFinder's protocol)
    def __init__(self, name, function):
        self.name, self.function = name, function

    def find_spec(self, name, path=None, target=None):  # pylint: disable=unused-argument
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def load_then_call(module):
            load(module)
            self.function(module)

        spec.loader.exec_module = load_then_call
        return spec


def after_import(name, function):
    """function(module) once the module called name has loaded (at once if it has already)."""
    if name in sys.modules:
        function(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, function))
