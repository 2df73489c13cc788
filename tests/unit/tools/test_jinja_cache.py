"""The test bed's cache of the code Jinja compiles (molecule/_shared/ansiballz_cache/efficientai_jinja_cache.py):
a cached template renders as a compiled one, anything that shapes the code gets an entry of its
own, and a template that does not compile raises as before and stores nothing."""

import importlib.util
import os

import jinja2
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HOOK = os.path.join(REPO, "molecule", "_shared", "ansiballz_cache", "efficientai_jinja_cache.py")


class Compiled(list):
    directory = None


@pytest.fixture(name="compiles")
def fixture_compiles(tmp_path, monkeypatch):
    """The cache installed on jinja2.Environment, in tmp_path; the list it returns grows with each
    source actually compiled."""
    monkeypatch.syspath_prepend(os.path.dirname(HOOK))  # it stores through efficientai_ansiballz_cache
    spec = importlib.util.spec_from_file_location("efficientai_jinja_cache", HOOK)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    monkeypatch.setattr(hook, "DIRECTORY", str(tmp_path / "jinja"))
    compiled = Compiled()
    real = jinja2.Environment.compile

    def counting(environment, source, *args, **kwargs):
        compiled.append(source)
        return real(environment, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", hook.cached(counting))
    compiled.directory = tmp_path / "jinja"
    return compiled


def test_a_cached_template_renders_as_a_compiled_one(compiles):
    source = "{% for item in items %}{{ item | upper }}{% if not loop.last %},{% endif %}{% endfor %}"
    first = jinja2.Environment().from_string(source).render(items=["a", "b"])
    second = jinja2.Environment().from_string(source).render(items=["c"])
    assert (first, second) == ("A,B", "C")
    assert compiles == [source]  # the second environment read the code of the first
    assert len(os.listdir(compiles.directory)) == 1


def test_the_syntax_settings_and_the_source_get_entries_of_their_own(compiles):
    assert jinja2.Environment().from_string("<<x>> {{ x }}").render(x=1) == "<<x>> 1"
    assert jinja2.Environment(variable_start_string="<<", variable_end_string=">>").from_string("<<x>> {{ x }}").render(x=1) == "1 {{ x }}"
    assert jinja2.Environment().from_string("{{ x }}!").render(x=1) == "1!"
    assert len(compiles) == 3 and len(os.listdir(compiles.directory)) == 3


def test_ansibles_backslash_escaping_gets_an_entry_of_its_own(compiles):
    from ansible.template import Templar, trust_as_template  # pylint: disable=import-outside-toplevel
    source = trust_as_template("{{ 'a\\1' }}")
    rendered = [Templar().template(source, escape_backslashes=escape) for escape in (True, False, True, False)]
    assert rendered == ["a\\1", "a\x01", "a\\1", "a\x01"]
    assert [compiled for compiled in compiles if compiled == source] == [source, source]  # once with, once without


def test_a_template_that_does_not_compile_raises_and_stores_nothing(compiles):
    for _attempt in range(2):
        with pytest.raises(jinja2.TemplateSyntaxError):
            jinja2.Environment().from_string("{% if x %}never closed")
    assert len(compiles) == 2
    assert not compiles.directory.exists() or not os.listdir(compiles.directory)


def test_a_damaged_entry_is_compiled_again(compiles):
    assert jinja2.Environment().from_string("{{ 6 * 7 }}").render() == "42"
    entry = compiles.directory / os.listdir(compiles.directory)[0]
    entry.write_bytes(b"\x00not marshal")
    assert jinja2.Environment().from_string("{{ 6 * 7 }}").render() == "42"
    assert len(compiles) == 2
