# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""Parsers of the macOS commands that describe an Apple Silicon host: sysctl,
system_profiler SPDisplaysDataType -json, pmset -g therm, memory_pressure, vm_stat,
top, sw_vers, powermetrics, and the probe that asks a Python interpreter whether PyTorch
MPS and MLX work.

Each parser takes the command's standard output as text and returns a dict. A field
the output does not carry is None: macOS versions and Intel Macs differ, and a fact
that cannot be read must not be guessed. Only output that is not that command's at all
(for example invalid JSON) raises ValueError."""

from __future__ import annotations

import json
import re

# The sysctl names silicon_facts asks for. Intel Macs and older releases lack some:
# sysctl reports those on stderr and prints the others.
SYSCTL_KEYS = (
    'hw.model', 'machdep.cpu.brand_string', 'hw.optional.arm64', 'hw.memsize', 'hw.logicalcpu',
    'hw.nperflevels', 'hw.perflevel0.name', 'hw.perflevel0.logicalcpu', 'hw.perflevel1.name',
    'hw.perflevel1.logicalcpu', 'kern.memorystatus_vm_pressure_level', 'sysctl.proc_translated',
)

# kern.memorystatus_vm_pressure_level (sys/event.h NOTE_MEMORYSTATUS_PRESSURE_*).
_PRESSURE_LEVELS = {1: 'normal', 2: 'warning', 4: 'critical'}
_PMSET_CPU_FIELDS = {'cpu_speed_limit': 'CPU_Speed_Limit', 'cpu_scheduler_limit': 'CPU_Scheduler_Limit',
                     'cpu_available_cpus': 'CPU_Available_CPUs'}

# Run with the interpreter under test: it must work on any Python 3 and print one JSON object.
PYTHON_PROBE = '''
import json, platform, sys
r = {"version": platform.python_version(), "machine": platform.machine(), "executable": sys.executable}
try:
    import torch
    r["torch"] = torch.__version__
    r["mps_built"] = bool(torch.backends.mps.is_built())
    r["mps_available"] = bool(torch.backends.mps.is_available())
except Exception as e:
    r["torch_error"] = "%s: %s" % (type(e).__name__, e)
try:
    import mlx.core as mx
    r["mlx"] = getattr(mx, "__version__", "")
    r["mlx_metal_available"] = bool(mx.metal.is_available())
except Exception as e:
    r["mlx_error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(r))
'''


def _int(value):
    try:
        return int(str(value).strip().rstrip('.'))
    except (TypeError, ValueError):
        return None


def _float(value):
    try:
        return float(str(value).strip().rstrip('%'))
    except (TypeError, ValueError):
        return None


def parse_sysctl(text):
    """Return {name: value} from `sysctl name...` output ('name: value' lines; names have dots)."""
    values = {}
    for line in (text or '').splitlines():
        match = re.match(r'^([a-z]\w*(?:\.\w+)+)\s*[:=]\s?(.*)$', line.strip())
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


def cpu_facts(sysctl):
    """Chip, core counts and memory from parsed sysctl values.

    perflevel0 is the fastest cluster (performance cores); every further level counts as
    efficiency cores. A Mac without performance levels (Intel) has only performance cores."""
    logical = _int(sysctl.get('hw.logicalcpu'))
    levels = _int(sysctl.get('hw.nperflevels'))
    per_level = [_int(sysctl.get('hw.perflevel%d.logicalcpu' % index)) for index in range(2)]
    if per_level[0] is None:
        performance, efficiency = logical, 0 if logical is not None else None
    else:
        performance = per_level[0]
        efficiency = (per_level[1] or 0) if levels != 1 else 0
    arm64, chip = sysctl.get('hw.optional.arm64'), sysctl.get('machdep.cpu.brand_string') or ''
    if arm64 in ('0', '1'):
        apple_silicon = arm64 == '1'
    else:  # Intel Macs have no hw.optional.arm64 at all
        apple_silicon = True if chip.startswith('Apple') else False if 'Intel' in chip else None
    return {
        'chip': chip or None,
        'model': sysctl.get('hw.model') or None,
        'apple_silicon': apple_silicon,
        'translated': sysctl.get('sysctl.proc_translated') == '1',
        'logical_cpus': logical,
        'performance_cores': performance,
        'efficiency_cores': efficiency,
        'memory_bytes': _int(sysctl.get('hw.memsize')),
        'memory_pressure_level': _PRESSURE_LEVELS.get(_int(sysctl.get('kern.memorystatus_vm_pressure_level'))),
    }


def parse_displays(text):
    """The GPU of `system_profiler SPDisplaysDataType -json`: model, cores and Metal support.

    Apple Silicon has one built-in GPU; on an Intel Mac the first GPU is reported."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ValueError('system_profiler did not print JSON: %s' % error)
    entries = data.get('SPDisplaysDataType') if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError('system_profiler printed no SPDisplaysDataType list')
    gpus = [entry for entry in entries if isinstance(entry, dict)]
    apple = [gpu for gpu in gpus if gpu.get('spdisplays_vendor') == 'sppci_vendor_Apple']
    gpu = (apple or gpus or [{}])[0]
    cores = re.search(r'\d+', str(gpu.get('sppci_cores') or ''))
    metal = gpu.get('spdisplays_mtlgpufamilysupport') or gpu.get('spdisplays_metal') or gpu.get('spdisplays_metalfamily')
    return {
        'model': gpu.get('sppci_model') or gpu.get('_name'),
        'cores': int(cores.group(0)) if cores else None,
        'vendor': gpu.get('spdisplays_vendor'),
        'metal_support': str(metal).replace('spdisplays_', '') if metal else None,
    }


def parse_pmset_therm(text):
    """Thermal state from `pmset -g therm`.

    Apple Silicon usually prints only 'Note: No ... has been recorded' lines (nominal);
    Intel Macs add a 'CPU Power notify' block with CPU_Speed_Limit (100 = no throttling)."""
    text = text or ''
    facts = {'thermal_warning_level': None, 'performance_warning_level': None,
             'cpu_speed_limit': None, 'cpu_scheduler_limit': None, 'cpu_available_cpus': None}
    for kind in ('thermal', 'performance'):
        if re.search(r'No %s warning level has been recorded' % kind, text, re.IGNORECASE):
            facts['%s_warning_level' % kind] = 0
        level = re.search(r'%s warning level(?: set to|\s*[:=])\s*(\d+)' % kind, text, re.IGNORECASE)
        if level:
            facts['%s_warning_level' % kind] = int(level.group(1))
    for key, label in _PMSET_CPU_FIELDS.items():
        values = re.findall(r'%s\s*=\s*(\d+)' % label, text)
        if values:
            facts[key] = int(values[-1])  # the latest record
    known = [value for value in facts.values() if value is not None]
    if not known:
        facts['state'] = 'unknown'
    elif (facts['thermal_warning_level'] or facts['performance_warning_level']
          or (facts['cpu_speed_limit'] is not None and facts['cpu_speed_limit'] < 100)):
        facts['state'] = 'elevated'
    else:
        facts['state'] = 'nominal'
    return facts


def parse_memory_pressure(text):
    """Free percentage, physical memory and page size from `memory_pressure`."""
    text = text or ''
    free = re.search(r'System-wide memory free percentage:\s*(\d+)%', text)
    total = re.search(r'The system has (\d+)', text)
    page = re.search(r'page size of (\d+)', text)
    counters = {}
    for name in ('Swapins', 'Swapouts', 'Pages used by compressor'):
        value = re.search(r'^%s:\s*(\d+)' % name, text, re.MULTILINE)
        counters[name] = int(value.group(1)) if value else None
    return {
        'free_percent': int(free.group(1)) if free else None,
        'total_bytes': int(total.group(1)) if total else None,
        'page_size': int(page.group(1)) if page else None,
        'swapins': counters['Swapins'],
        'swapouts': counters['Swapouts'],
        'compressor_pages': counters['Pages used by compressor'],
    }


def parse_vm_stat(text):
    """Page size and counters of `vm_stat`, with the reclaimable and compressed sizes.

    Keys are the labels in snake case ('Pages wired down' -> wired_down)."""
    text = text or ''
    page = re.search(r'page size of (\d+) bytes', text)
    pages = {}
    for label, value in re.findall(r'^"?([A-Za-z][^:"]*)"?:\s+(\d+)\.?\s*$', text, re.MULTILINE):
        key = re.sub(r'^pages_', '', re.sub(r'[^a-z0-9]+', '_', label.lower()).strip('_'))
        pages[key] = int(value)
    page_size = int(page.group(1)) if page else None

    def size(*keys):
        if page_size is None or any(key not in pages for key in keys):
            return None
        return sum(pages[key] for key in keys) * page_size

    return {
        'page_size': page_size,
        'pages': pages,
        # What macOS hands out without swapping: free, inactive and speculative pages.
        'reclaimable_bytes': size('free', 'inactive', 'speculative'),
        'compressed_bytes': size('occupied_by_compressor'),
    }


def parse_top_cpu(text):
    """CPU usage of the last sample of `top -l N -n 0`: the first sample counts since boot."""
    usages = re.findall(r'CPU usage:\s*([\d.]+)% user,\s*([\d.]+)% sys,\s*([\d.]+)% idle', text or '')
    loads = re.findall(r'Load Avg:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)', text or '')
    if not usages:
        return {'user_percent': None, 'system_percent': None, 'idle_percent': None,
                'usage_percent': None, 'load_average': [float(x) for x in loads[-1]] if loads else None}
    user, system, idle = (float(value) for value in usages[-1])
    return {'user_percent': user, 'system_percent': system, 'idle_percent': idle,
            'usage_percent': round(100.0 - idle, 2),
            'load_average': [float(x) for x in loads[-1]] if loads else None}


def parse_sw_vers(text):
    """Product name, version (with a Rapid Security Response suffix) and build of `sw_vers`."""
    fields = {}
    for line in (text or '').splitlines():
        key, sep, value = line.partition(':')
        if sep:
            fields[key.strip()] = value.strip()
    version = fields.get('ProductVersion')
    major = _int(version.split('.')[0]) if version else None
    return {
        'name': fields.get('ProductName'),
        'version': version,
        'version_extra': fields.get('ProductVersionExtra'),
        'major': major,
        'build': fields.get('BuildVersion'),
    }


def parse_powermetrics_gpu(text):
    """GPU frequency, residency and power (in watts) of `powermetrics --samplers gpu_power`,
    averaged over the samples printed."""
    def values(pattern):
        return [float(v) for v in re.findall(pattern, text or '', re.IGNORECASE | re.MULTILINE)]

    def mean(found):
        return round(sum(found) / len(found), 3) if found else None

    power_mw = values(r'^GPU (?:HW )?Power:\s*([\d.]+)\s*mW')
    return {
        'samples': len(re.findall(r'\*\*\* Sampled system activity', text or '')),
        'active_frequency_mhz': mean(values(r'^GPU HW active frequency:\s*([\d.]+)\s*MHz')),
        'active_residency_percent': mean(values(r'^GPU HW active residency:\s*([\d.]+)%')),
        'idle_residency_percent': mean(values(r'^GPU idle residency:\s*([\d.]+)%')),
        'power_watts': round(mean(power_mw) / 1000.0, 3) if power_mw else None,
    }


def parse_python_probe(text):
    """The answer of PYTHON_PROBE: versions, and whether MPS and MLX can use the GPU."""
    try:
        data = json.loads((text or '').strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise ValueError('the interpreter did not print the probe result: %s' % error)
    if not isinstance(data, dict):
        raise ValueError('the probe result is not a JSON object')
    return {
        'version': data.get('version'),
        'machine': data.get('machine'),
        'executable': data.get('executable'),
        'torch_version': data.get('torch'),
        'mps_built': bool(data.get('mps_built')),
        'mps_available': bool(data.get('mps_available')),
        'mlx_version': data.get('mlx'),
        'mlx_metal_available': bool(data.get('mlx_metal_available')),
        'errors': [data[key] for key in ('torch_error', 'mlx_error') if data.get(key)],
    }
