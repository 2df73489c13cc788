"""Unit tests of the macos_silicon_settings_problems filter: the macos_silicon role's preflight of its
variables in one call, each problem naming one variable and its value."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.macos_silicon_settings import macos_silicon_settings_problems

# The role's defaults, as the preflight task passes them.
DEFAULTS = {
    'macos_silicon_python': 'homebrew', 'macos_silicon_python_version': '3.12', 'macos_silicon_homebrew_packages': [],
    'macos_silicon_workers': 0, 'macos_silicon_worker_memory_mb': 1024, 'macos_silicon_min_free_memory_percent': 20,
    'macos_silicon_powermetrics_samples': 0,
}


@pytest.mark.parametrize('settings', [
    DEFAULTS,
    dict(DEFAULTS, macos_silicon_python='/opt/homebrew/bin/python3.11', macos_silicon_python_version='3.11'),
    dict(DEFAULTS, macos_silicon_homebrew_packages=['libomp'], macos_silicon_workers='4',
         macos_silicon_worker_memory_mb=128, macos_silicon_min_free_memory_percent=90, macos_silicon_powermetrics_samples=60),
    dict(DEFAULTS, macos_silicon_python_version='3.10', macos_silicon_min_free_memory_percent=0),
], ids=['defaults', 'own interpreter', 'upper bounds', 'lower bounds'])
def test_valid_settings_have_no_problems(settings):
    assert macos_silicon_settings_problems(settings) == []


@pytest.mark.parametrize('changes, variable, message', [
    ({'macos_silicon_python': 'python3'}, 'macos_silicon_python', "'homebrew' or the absolute path of an interpreter (got 'python3')"),
    ({'macos_silicon_python_version': '3.9'}, 'macos_silicon_python_version', "3.10 or newer (got '3.9')"),
    ({'macos_silicon_python_version': '3.12.1'}, 'macos_silicon_python_version', "such as 3.12, 3.10 or newer (got '3.12.1')"),
    ({'macos_silicon_python_version': 3.10}, 'macos_silicon_python_version', "a quoted string such as '3.12' (got 3.1)"),
    ({'macos_silicon_homebrew_packages': 'libomp'}, 'macos_silicon_homebrew_packages', "a list of Homebrew formulae (got 'libomp')"),
    ({'macos_silicon_workers': -1}, 'macos_silicon_workers', "a number, 0 or more (got -1)"),
    ({'macos_silicon_workers': 'many'}, 'macos_silicon_workers', "a number, 0 or more (got 'many')"),
    ({'macos_silicon_worker_memory_mb': 64}, 'macos_silicon_worker_memory_mb', "a number, 128 or more (got 64)"),
    ({'macos_silicon_min_free_memory_percent': 95}, 'macos_silicon_min_free_memory_percent', "from 0 to 90 (got 95)"),
    ({'macos_silicon_powermetrics_samples': -1}, 'macos_silicon_powermetrics_samples', "from 0 to 60 (got -1)"),
    ({'macos_silicon_powermetrics_samples': '2s'}, 'macos_silicon_powermetrics_samples', "from 0 to 60 (got '2s')"),
])
def test_each_problem_names_its_variable_and_value(changes, variable, message):
    problems = macos_silicon_settings_problems(dict(DEFAULTS, **changes))
    assert len(problems) == 1 and problems[0].startswith(f'{variable} must ') and message in problems[0], problems


def test_every_problem_is_reported_at_once():
    problems = macos_silicon_settings_problems(dict(DEFAULTS, macos_silicon_python='python3', macos_silicon_workers=-2,
                                                    macos_silicon_powermetrics_samples=61))
    assert [problem.split(' ', 1)[0] for problem in problems] == [
        'macos_silicon_python', 'macos_silicon_workers', 'macos_silicon_powermetrics_samples']


def test_a_missing_setting_is_the_callers_error():
    settings = dict(DEFAULTS)
    del settings['macos_silicon_workers']
    with pytest.raises(AnsibleFilterError, match='lack macos_silicon_workers'):
        macos_silicon_settings_problems(settings)
