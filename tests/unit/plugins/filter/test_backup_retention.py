"""Unit tests of the backup_retention filter."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.efficientai.mlops.plugins.filter.backup_retention import FilterModule, backup_retention


def test_the_filter_is_registered():
    assert FilterModule().filters()['backup_retention'] is backup_retention


def test_keeps_by_kind_with_the_seed_defaults():
    sets = [{'id': f'202611{day:02d}T020000Z', 'kind': 'daily', 'verified': True} for day in range(1, 11)]
    plan = backup_retention(sets)
    assert plan['prune'] == ['20261101T020000Z', '20261102T020000Z', '20261103T020000Z']
    assert len(plan['keep']) == 7


def test_counts_are_options():
    sets = [{'id': '20261101T020000Z', 'kind': 'manual', 'verified': True},
            {'id': '20261102T020000Z', 'kind': 'manual', 'verified': True}]
    assert backup_retention(sets, manual=1)['prune'] == ['20261101T020000Z']


@pytest.mark.parametrize('sets, kwargs, message', [
    ('20261101T020000Z', {}, 'expected a list'),
    ([{'id': 'monday', 'kind': 'daily'}], {}, 'not a set id'),
    ([], {'daily': -2}, 'keep.daily'),
])
def test_bad_input(sets, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        backup_retention(sets, **kwargs)
