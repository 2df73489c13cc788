"""Wall time of a first converge of playbooks/deploy.yml on the production scenario and of
the idempotent re-run right after it, with the tasks each changed, in the same run.

    make setup testbed
    .venv/bin/python benchmarks/deploy.py [--scenario production] [--keep]

It destroys the scenario's containers, creates and prepares new ones (not timed), then times
`molecule converge` twice and prints both times, the ratio re-run / first converge (the goal
is <= 10 %) and the changed counts of the PLAY RECAP (the re-run's should be 0). The
containers are destroyed at the end unless --keep. Package downloads come from the shared
pip cache and Debian's archive, as in CI."""

import argparse
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def molecule_env():
    env = dict(os.environ)
    env['PATH'] = os.path.join(REPO, '.venv', 'bin') + os.pathsep + env['PATH']
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(REPO, '.cache', 'collections'))
    env.setdefault('MOLECULE_GLOB', 'molecule/*/molecule.yml')
    env.setdefault('NO_COLOR', '1')
    if 'MLOPS_TEST_IMAGE' not in env:
        with open(os.path.join(REPO, '.cache', 'testbed-image'), encoding='utf-8') as handle:
            env['MLOPS_TEST_IMAGE'] = handle.read().strip()
    return env


def molecule(command, scenario, env, capture=False):
    started = time.perf_counter()
    result = subprocess.run(['molecule', command, '-s', scenario], cwd=REPO, env=env, check=False,
                            capture_output=capture, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        if capture:
            sys.stdout.write(result.stdout[-6000:] + result.stderr[-3000:])
        sys.exit(f'molecule {command} -s {scenario} failed (exit {result.returncode})')
    return elapsed, result.stdout if capture else ''


def recap(output):
    """Per host (ok, changed) of the last PLAY RECAP in the output."""
    last = output.rsplit('PLAY RECAP', 1)[-1]
    rows = {row[0]: (int(row[1]), int(row[2])) for row in RECAP.findall(last)}
    if not rows:
        sys.exit('no PLAY RECAP in the converge output')
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--scenario', default='production')
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()
    env = molecule_env()

    for step in ('destroy', 'create', 'prepare'):
        molecule(step, args.scenario, env)
    first, first_output = molecule('converge', args.scenario, env, capture=True)
    rerun, rerun_output = molecule('converge', args.scenario, env, capture=True)
    if not args.keep:
        molecule('destroy', args.scenario, env)

    first_recap, rerun_recap = recap(first_output), recap(rerun_output)
    print(f'{"host":<28} {"first: ok":>10} {"changed":>8} {"re-run: ok":>11} {"changed":>8}')
    for host in sorted(first_recap):
        ok1, changed1 = first_recap[host]
        ok2, changed2 = rerun_recap.get(host, (0, 0))
        print(f'{host:<28} {ok1:>10} {changed1:>8} {ok2:>11} {changed2:>8}')
    changed_first = sum(counts[1] for counts in first_recap.values())
    changed_rerun = sum(counts[1] for counts in rerun_recap.values())
    print(f'first converge  {first:8.1f} s  {changed_first:4d} changed')
    print(f're-run          {rerun:8.1f} s  {changed_rerun:4d} changed')
    print(f'ratio re-run / first converge: {rerun / first:.3f} ({rerun / first:.1%}; goal <= 10 %, 0 changed)')


if __name__ == '__main__':
    main()
