#!/usr/bin/python
# Copyright: (c) 2026, EfficientAI platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: silicon_facts
short_description: Gather facts about an Apple Silicon Mac
version_added: 0.1.0
description:
  - Reads the chip, performance and efficiency core counts, memory, GPU core count,
    thermal state, memory pressure, CPU usage and macOS version of a macOS host, with
    C(sysctl), C(system_profiler), C(pmset), C(memory_pressure), C(vm_stat), C(top) and C(sw_vers).
  - Optionally asks a Python interpreter whether PyTorch MPS and MLX can use the GPU,
    and samples GPU power with C(powermetrics) (root only).
  - A field a command does not print on this Mac (for example performance levels on an
    Intel Mac) is null; a command that fails adds a warning and leaves its fields null.
  - Fails on a host that is not macOS.
author:
  - EfficientAI platform team (@efficientai)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
options:
  python:
    description:
      - Interpreter to probe for PyTorch MPS and MLX. Not probed when omitted.
    type: path
  cpu_sample_seconds:
    description:
      - Seconds between the two C(top) samples that CPU usage is measured over (the first
        sample of C(top) counts since boot).
    type: int
    default: 1
  powermetrics_samples:
    description:
      - Number of one-second C(powermetrics --samplers gpu_power) samples to average; C(0) skips it.
      - C(powermetrics) needs root (C(become=true)).
    type: int
    default: 0
notes:
  - Only tested against captured command outputs; see the collection README for what was run on a real Mac.
'''

EXAMPLES = r'''
- name: Read the Mac's facts, and whether PyTorch MPS and MLX work from Homebrew's Python
  efficientai.mlops.silicon_facts:
    python: /opt/homebrew/opt/python@3.12/bin/python3.12

- name: Size the workers from the performance cores
  ansible.builtin.debug:
    msg: "{{ [ansible_facts.silicon.cpu.performance_cores - 1, 1] | max }} workers"

- name: Sample GPU power for five seconds
  efficientai.mlops.silicon_facts:
    powermetrics_samples: 5
  become: true
'''

RETURN = r'''
ansible_facts:
  description: Facts under C(silicon).
  returned: always
  type: dict
  contains:
    silicon:
      description: The Mac.
      type: dict
      contains:
        chip:
          description: Chip name (C(machdep.cpu.brand_string)).
          type: str
          sample: Apple M3 Max
        model:
          description: Model identifier (C(hw.model)).
          type: str
          sample: Mac15,8
        apple_silicon:
          description: Whether the Mac has an Apple Silicon chip; null when unknown.
          type: bool
        translated:
          description: Whether the facts were gathered under Rosetta.
          type: bool
        cpu:
          description: C(logical_cpus), C(performance_cores), C(efficiency_cores), and
            C(usage_percent), C(user_percent), C(system_percent), C(idle_percent), C(load_average).
          type: dict
          sample: {logical_cpus: 16, performance_cores: 12, efficiency_cores: 4, usage_percent: 37.4}
        memory:
          description: C(total_bytes), C(free_percent) and C(pressure_level) (normal, warning,
            critical), C(page_size), C(reclaimable_bytes), C(compressed_bytes), C(swapins), C(swapouts).
          type: dict
          sample: {total_bytes: 137438953472, free_percent: 87, pressure_level: normal}
        gpu:
          description: C(model), C(cores), C(vendor), C(metal_support).
          type: dict
          sample: {model: Apple M3 Max, cores: 40, metal_support: metal3}
        thermal:
          description: C(state) (nominal, elevated, unknown), the warning levels and the CPU limits of C(pmset -g therm).
          type: dict
          sample: {state: nominal, thermal_warning_level: 0, cpu_speed_limit: null}
        macos:
          description: C(name), C(version), C(major), C(build), C(version_extra).
          type: dict
          sample: {name: macOS, version: "14.5", major: 14, build: 23F79}
        python:
          description: The probe of I(python) - C(version), C(machine), C(torch_version),
            C(mps_built), C(mps_available), C(mlx_version), C(mlx_metal_available), C(errors).
          type: dict
          returned: when I(python) is set
        powermetrics:
          description: C(samples), C(active_frequency_mhz), C(active_residency_percent),
            C(idle_residency_percent) and C(power_watts) of the GPU.
          type: dict
          returned: when I(powermetrics_samples) > 0
'''

import os
import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.efficientai.mlops.plugins.module_utils import silicon


class SiliconFacts:
    """Runs the read-only macOS commands and turns their output into facts."""

    def __init__(self, module):
        self.module = module

    def run(self, argv, what):
        """Stdout of a command, or None (with a warning) when it could not run."""
        binary = self.module.get_bin_path(argv[0])  # PATH, then the sbin directories
        if binary is None:
            self.module.warn('%s: %s was not found' % (what, argv[0]))
            return None
        rc, out, err = self.module.run_command([binary] + argv[1:], environ_update={'LC_ALL': 'C'})
        # sysctl exits 1 when it does not know a name but still prints the others.
        if rc != 0 and not out.strip():
            self.module.warn('%s: %s exited %d: %s' % (what, ' '.join(argv), rc, err.strip()[:200]))
            return None
        return out

    def gather(self):
        params = self.module.params
        sysctl = silicon.cpu_facts(silicon.parse_sysctl(self.run(['sysctl'] + list(silicon.SYSCTL_KEYS), 'chip')))
        cpu = silicon.parse_top_cpu(self.run(
            ['top', '-l', '2', '-n', '0', '-s', str(params['cpu_sample_seconds'])], 'CPU usage'))
        vm_stat = silicon.parse_vm_stat(self.run(['vm_stat'], 'memory'))
        pressure = silicon.parse_memory_pressure(self.run(['memory_pressure'], 'memory pressure'))
        facts = {
            'chip': sysctl['chip'],
            'model': sysctl['model'],
            'apple_silicon': sysctl['apple_silicon'],
            'translated': sysctl['translated'],
            'cpu': dict(cpu, logical_cpus=sysctl['logical_cpus'], performance_cores=sysctl['performance_cores'],
                        efficiency_cores=sysctl['efficiency_cores']),
            'memory': {
                'total_bytes': sysctl['memory_bytes'] or pressure['total_bytes'],
                'free_percent': pressure['free_percent'],
                'pressure_level': sysctl['memory_pressure_level'],
                'page_size': vm_stat['page_size'] or pressure['page_size'],
                'reclaimable_bytes': vm_stat['reclaimable_bytes'],
                'compressed_bytes': vm_stat['compressed_bytes'],
                'swapins': vm_stat['pages'].get('swapins', pressure['swapins']),
                'swapouts': vm_stat['pages'].get('swapouts', pressure['swapouts']),
            },
            'gpu': self.gpu(),
            'thermal': silicon.parse_pmset_therm(self.run(['pmset', '-g', 'therm'], 'thermal state')),
            'macos': silicon.parse_sw_vers(self.run(['sw_vers'], 'macOS version')),
        }
        if params['python']:
            facts['python'] = self.python(params['python'])
        if params['powermetrics_samples'] > 0:
            facts['powermetrics'] = silicon.parse_powermetrics_gpu(self.run(
                ['powermetrics', '--samplers', 'gpu_power', '-i', '1000', '-n', str(params['powermetrics_samples'])],
                'GPU power'))
        return facts

    def gpu(self):
        out = self.run(['system_profiler', 'SPDisplaysDataType', '-json'], 'GPU')
        try:
            return silicon.parse_displays(out)
        except ValueError as error:
            if out is not None:
                self.module.warn('GPU: %s' % error)
            return {'model': None, 'cores': None, 'vendor': None, 'metal_support': None}

    def python(self, interpreter):
        if not os.access(interpreter, os.X_OK):
            self.module.fail_json(msg='python: %s is not an executable interpreter on this Mac' % interpreter)
        rc, out, err = self.module.run_command([interpreter, '-c', silicon.PYTHON_PROBE])
        try:
            return silicon.parse_python_probe(out)
        except ValueError as error:
            self.module.fail_json(msg='python: %s could not be probed for MPS and MLX (exit %d): %s %s'
                                  % (interpreter, rc, error, err.strip()[-300:]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            python=dict(type='path'),
            cpu_sample_seconds=dict(type='int', default=1),
            powermetrics_samples=dict(type='int', default=0),
        ),
        supports_check_mode=True,
    )
    system = platform.system()
    if system != 'Darwin':
        module.fail_json(msg='silicon_facts gathers the facts of macOS hosts; this host runs %s. '
                             'Limit the play to your Macs (for example hosts: macos).' % system)
    if not 1 <= module.params['cpu_sample_seconds'] <= 60:
        module.fail_json(msg='cpu_sample_seconds must be between 1 and 60, got %d' % module.params['cpu_sample_seconds'])
    if not 0 <= module.params['powermetrics_samples'] <= 60:
        module.fail_json(msg='powermetrics_samples must be between 0 and 60, got %d' % module.params['powermetrics_samples'])
    if module.params['powermetrics_samples'] > 0 and os.geteuid() != 0:
        module.fail_json(msg='powermetrics_samples needs root: run this task with become: true')

    module.exit_json(changed=False, ansible_facts={'silicon': SiliconFacts(module).gather()})


if __name__ == '__main__':
    main()
