"""Unit tests of the pg_tune filter."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.pg_tune import pg_tune


def test_eight_gigabytes_four_cpus():
    settings = pg_tune(8192, cpus=4, max_connections=100)
    assert settings['shared_buffers'] == '2048MB'
    assert settings['effective_cache_size'] == '6144MB'
    assert settings['maintenance_work_mem'] == '512MB'
    # (8 GB - 2 GB) / (100 connections * 3 sorts) / 2 workers per gather
    assert settings['work_mem'] == '10MB'
    assert settings['max_parallel_workers'] == 4
    assert settings['max_parallel_workers_per_gather'] == 2
    assert settings['random_page_cost'] == 1.1


def test_maintenance_memory_is_capped_at_two_gigabytes():
    assert pg_tune(128 * 1024, cpus=16)['maintenance_work_mem'] == '2048MB'


def test_small_host_gets_kilobytes_but_never_below_64():
    settings = pg_tune(256, cpus=1, max_connections=5000)
    assert settings['work_mem'] == '64kB'
    assert settings['shared_buffers'] == '64MB'


def test_more_connections_mean_less_work_mem():
    assert int(pg_tune(4096, max_connections=400)['work_mem'][:-2]) < int(pg_tune(4096, max_connections=100)['work_mem'][:-2])


def test_hdd_costs():
    settings = pg_tune(4096, storage='hdd')
    assert settings['random_page_cost'] == 4.0
    assert settings['effective_io_concurrency'] == 2


def test_strings_from_facts_are_accepted():
    assert pg_tune('4096', cpus='2', max_connections='100') == pg_tune(4096, cpus=2, max_connections=100)


@pytest.mark.parametrize('args, message', [
    ((128,), 'memory_mb must be at least 256'),
    (('lots',), 'memory_mb must be an integer'),
    ((True,), 'got a boolean'),
    ((4096, 0), 'cpus must be at least 1'),
])
def test_bad_input_is_refused(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pg_tune(*args)


def test_unknown_storage_is_refused():
    with pytest.raises(AnsibleFilterError, match='storage must be one of'):
        pg_tune(4096, storage='nvme')
