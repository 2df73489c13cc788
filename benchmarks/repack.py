"""CPU seconds and size of the rollback copy that patch.yml repacks before a Debian update
(roles/_common/tasks/debian_patch.yml): dpkg-repack with gzip at dpkg-deb's default level 9
(what the role did before) against level 1 (what it does now), for the same installed packages
in the same run.

    benchmarks/repack.py prometheus [postgresql-15 ...]

Run it as root on a Debian host that has the packages and dpkg-repack (a scenario's container:
`docker cp benchmarks/repack.py production-ops:/root/ && docker exec production-ops python3
/root/repack.py prometheus`). It prints, per level, the CPU seconds of dpkg-repack and its
children and the bytes of the .deb files, then level 1 / level 9."""

import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile

LEVELS = {'level 9 (before)': ['--deb-option=-Zgzip'],
          'level 1 (now)': ['--deb-option=-Zgzip', '--deb-option=-z1']}


def repack(packages, options):
    """(CPU seconds, bytes) of one dpkg-repack run into a new directory."""
    work = tempfile.mkdtemp(prefix='repack-')
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(['dpkg-repack', *options, *packages], cwd=work, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        size = sum(os.path.getsize(deb) for deb in glob.glob(os.path.join(work, '*.deb')))
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), size
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(packages):
    if not packages:
        sys.exit(__doc__)
    if not shutil.which('dpkg-repack'):
        sys.exit('dpkg-repack is not installed here (apt-get install dpkg-repack)')
    figures = {label: repack(packages, options) for label, options in LEVELS.items()}
    for label, (cpu, size) in figures.items():
        print(f'{label:18} {cpu:6.1f} CPU s  {size / 1e6:7.1f} MB  ({" ".join(packages)})')
    (old_cpu, old_size), (new_cpu, new_size) = figures.values()
    print(f'level 1 / level 9: {new_cpu / old_cpu:.2f} of the CPU time, {new_size / old_size:.2f} of the bytes')


if __name__ == '__main__':
    main(sys.argv[1:])
