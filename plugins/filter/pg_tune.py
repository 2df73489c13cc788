# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL memory and parallelism settings from the host's memory and CPUs."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

_STORAGE = {
    # random_page_cost, effective_io_concurrency
    'ssd': (1.1, 200),
    'hdd': (4.0, 2),
}
_MIN_MEMORY_MB = 256
_MAX_MAINTENANCE_WORK_MEM_KB = 2 * 1024 * 1024


def _positive_int(value, what, minimum=1):
    if isinstance(value, bool):
        raise AnsibleFilterError(f'pg_tune: {what} must be an integer, got a boolean')
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f'pg_tune: {what} must be an integer, got {value!r}') from None
    if number < minimum:
        raise AnsibleFilterError(f'pg_tune: {what} must be at least {minimum}, got {number}')
    return number


def _size(kilobytes):
    """A PostgreSQL size: whole MB when at least 1 MB, else kB."""
    kilobytes = int(kilobytes)
    return f'{kilobytes // 1024}MB' if kilobytes >= 1024 else f'{max(kilobytes, 64)}kB'


def pg_tune(memory_mb, cpus=1, max_connections=100, storage='ssd'):
    """Return postgresql.conf settings for a dedicated database host.

    Memory follows the usual rules (pgtune's web/mixed profile): a quarter of memory for
    shared_buffers, three quarters as effective_cache_size, a sixteenth (at most 2 GB) for
    maintenance, and work_mem so that three sorts per connection fit beside shared_buffers."""
    memory_kb = _positive_int(memory_mb, 'memory_mb', _MIN_MEMORY_MB) * 1024
    cpus = _positive_int(cpus, 'cpus')
    max_connections = _positive_int(max_connections, 'max_connections')
    if storage not in _STORAGE:
        raise AnsibleFilterError(f'pg_tune: storage must be one of {sorted(_STORAGE)}, got {storage!r}')
    random_page_cost, io_concurrency = _STORAGE[storage]

    workers_per_gather = min(4, max(1, cpus // 2))
    shared_buffers = memory_kb // 4
    work_mem = (memory_kb - shared_buffers) // (max_connections * 3) // workers_per_gather
    return {
        'shared_buffers': _size(shared_buffers),
        'effective_cache_size': _size(memory_kb * 3 // 4),
        'maintenance_work_mem': _size(min(memory_kb // 16, _MAX_MAINTENANCE_WORK_MEM_KB)),
        'work_mem': _size(work_mem),
        'max_worker_processes': max(8, cpus),
        'max_parallel_workers': cpus,
        'max_parallel_workers_per_gather': workers_per_gather,
        'max_parallel_maintenance_workers': workers_per_gather,
        'random_page_cost': random_page_cost,
        'effective_io_concurrency': io_concurrency,
    }


class FilterModule:
    """PostgreSQL tuning filter."""

    def filters(self):
        return {'pg_tune': pg_tune}
