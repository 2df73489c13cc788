"""Wall time and task results per role of a scenario's first converge, its no-op re-run and the
same re-run in check mode, for this checkout and (with --baseline REF) for an earlier commit
measured in the same run on the same machine.

    make setup testbed
    .venv/bin/python benchmarks/deploy.py [--scenario production] [--baseline 5602601] [--keep]

For each checkout it destroys the scenario's containers, creates and prepares new ones (not
timed), then times `molecule converge` twice and `ansible-playbook --check` of the converge
playbook once. It prints, per run, the wall time, the CPU seconds the whole machine spent
meanwhile (controller, containers and Docker: what a CPU-bound CI pays, so run it on an
otherwise idle machine), the changed count of the PLAY RECAP (a no-op
re-run must show 0) and the task results per role (every ok or changed host result: module runs
on the host plus the controller-side set_fact/assert/debug; skipped ones left out) with their wall
time (from profile_tasks), then the ratios
this checkout / baseline; each run's output (its slowest tasks at the end) is kept under
.cache/benchmark/logs. Issue 19's goals: a no-op
re-run of production in <= 60 s, of the development stack in <= 30 s. Package downloads come
from the shared caches, as in CI. A baseline checkout is a git worktree under .cache/benchmark."""

import argparse
import collections
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
TASK = re.compile(r'^TASK \[(?:(?:[\w.]+\.)?(\w+) : )?.*\]')
RESULT = re.compile(r'^(ok|changed): \[')
# profile_tasks' line under each task header: the duration of the task before it, then the total.
PROFILE = re.compile(r'^\w{3}\w* \d+ \w+ \d{4} .*\((\d+):(\d+):(\d+\.\d+)\)\s+[\d:.]+ \*+$')
RUNS = ('first converge', 'no-op re-run', 'no-op --check')


def molecule_env(checkout):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR='0', NO_COLOR='1')
    env['PATH'] = os.path.join(REPO, '.venv', 'bin') + os.pathsep + env['PATH']
    env['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(checkout, '.cache', 'collections')
    env['ANSIBLE_CONFIG'] = os.path.join(checkout, 'ansible.cfg')
    with open(os.path.join(REPO, '.cache', 'testbed-image'), encoding='utf-8') as handle:
        env.setdefault('MLOPS_TEST_IMAGE', handle.read().strip())
    return env


def busy_cpu_seconds():
    """CPU seconds this machine has spent busy since boot (every core; idle and iowait left out)."""
    with open('/proc/stat', encoding='utf-8') as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf('SC_CLK_TCK')


def run(command, checkout, env, capture=True):
    """Wall seconds, the output, and the machine's busy CPU seconds meanwhile."""
    started, cpu = time.perf_counter(), busy_cpu_seconds()
    result = subprocess.run(command, cwd=checkout, env=env, check=False, capture_output=capture, text=True)
    elapsed, cpu = time.perf_counter() - started, busy_cpu_seconds() - cpu
    if result.returncode != 0:
        if capture:
            sys.stdout.write(result.stdout[-6000:] + result.stderr[-3000:])
        sys.exit(f'{" ".join(command)} failed in {checkout} (exit {result.returncode})')
    return elapsed, result.stdout if capture else '', cpu


def module_runs(output):
    """Per role (or 'playbook' for tasks outside roles), the ok and changed host results."""
    runs, role = collections.Counter(), 'playbook'
    for line in output.splitlines():
        task = TASK.match(line)
        if task:
            role = task.group(1) or 'playbook'
        elif RESULT.match(line):
            runs[role] += 1
    return runs


def role_seconds(output):
    """Per role, the wall time of its tasks (every host of a task's batch included), from profile_tasks."""
    seconds, role, previous = collections.Counter(), 'playbook', None
    for line in output.splitlines():
        task = TASK.match(line)
        if task:
            role = task.group(1) or 'playbook'
            continue
        timing = PROFILE.match(line)
        if timing:
            if previous:
                seconds[previous] += int(timing.group(1)) * 3600 + int(timing.group(2)) * 60 + float(timing.group(3))
            previous = role
    return seconds


def changed(output):
    last = output.rsplit('PLAY RECAP', 1)[-1]
    rows = RECAP.findall(last)
    if not rows:
        sys.exit('no PLAY RECAP in the output')
    return sum(int(row[2]) for row in rows)


def checkout_of(ref):
    """A worktree of ref with its collection link, made once."""
    path = os.path.join(REPO, '.cache', 'benchmark', ref)
    if not os.path.isdir(path):
        subprocess.run(['git', 'worktree', 'add', '--detach', path, ref], cwd=REPO, check=True)
    link = os.path.join(path, '.cache', 'collections', 'ansible_collections', 'efficientai', 'mlops')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink('../../../..', link)
    return path


def keep_log(checkout, scenario, name, output):
    """The run's output (with profile_tasks' slowest tasks at its end) under .cache/benchmark/logs."""
    label = 'this' if checkout == REPO else os.path.basename(checkout)
    logs = os.path.join(REPO, '.cache', 'benchmark', 'logs')
    os.makedirs(logs, exist_ok=True)
    path = os.path.join(logs, f'{scenario}-{label}-{name.replace(" ", "-").strip("-")}.log')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(output)
    return path


def measure(checkout, scenario, keep):
    env = molecule_env(checkout)
    for step in ('destroy', 'create', 'prepare'):
        run(['molecule', step, '-s', scenario], checkout, env)
    first = run(['molecule', 'converge', '-s', scenario], checkout, env)
    rerun = run(['molecule', 'converge', '-s', scenario], checkout, env)
    check = run(['molecule', 'converge', '-s', scenario, '--', '--check'], checkout, env)
    if not keep:
        run(['molecule', 'destroy', '-s', scenario], checkout, env)
    results = {}
    for name, (seconds, output, cpu) in zip(RUNS, (first, rerun, check)):
        keep_log(checkout, scenario, name, output)
        results[name] = {'seconds': seconds, 'cpu': cpu, 'changed': changed(output), 'runs': module_runs(output),
                         'role_seconds': role_seconds(output)}
    return results


def report(label, results):
    print(f'\n== {label}')
    for name in RUNS:
        result = results[name]
        print(f'{name:<15} {result["seconds"]:8.1f} s  {result["cpu"]:8.1f} CPU-s  changed={result["changed"]:<4} '
              f'task results={sum(result["runs"].values())}')
    roles = sorted(set().union(*(results[name]['runs'] for name in RUNS)))
    print(f'{"task results, seconds":<22}' + ''.join(f'{name:>22}' for name in RUNS))
    for role in roles:
        print(f'  {role:<20}' + ''.join(
            f'{results[name]["runs"][role]:>14} {results[name]["role_seconds"][role]:6.1f}s' for name in RUNS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--scenario', default='production')
    parser.add_argument('--baseline', default='', help='a git ref measured the same way, first')
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()

    baseline = measure(checkout_of(args.baseline), args.scenario, False) if args.baseline else None
    current = measure(REPO, args.scenario, args.keep)
    if baseline:
        report(f'baseline {args.baseline}, scenario {args.scenario}', baseline)
    report(f'this checkout, scenario {args.scenario}', current)
    if baseline:
        print('\nthis checkout / baseline')
        for name in RUNS:
            seconds = current[name]['seconds'] / baseline[name]['seconds']
            cpu = current[name]['cpu'] / baseline[name]['cpu']
            runs = sum(current[name]['runs'].values()) / max(1, sum(baseline[name]['runs'].values()))
            print(f'  {name:<15} time {seconds:6.2f}   CPU {cpu:6.2f}   task results {runs:6.2f}')


if __name__ == '__main__':
    main()
