"""tools/ci-profile reads Molecule's and ansible-playbook's logs as `make test` keeps them."""

import importlib.machinery
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
loader = importlib.machinery.SourceFileLoader("ci_profile", os.path.join(REPO, "tools", "ci-profile"))
spec = importlib.util.spec_from_loader("ci_profile", loader)
ci_profile = importlib.util.module_from_spec(spec)
loader.exec_module(ci_profile)

LOG = """INFO     [demo > converge] Executing

TASK [efficientai.mlops.mlflow : Install] **************************************
Sunday 06 December 2026  23:59:50 +0000 (0:00:00.010)       0:00:00.010 *******
changed: [demo]

TASK [efficientai.mlops.mlflow : Start] ****************************************
Sunday 06 December 2026  23:59:58 +0000 (0:00:08.000)       0:00:08.010 *******
ok: [demo]

PLAY RECAP *********************************************************************
demo                       : ok=2    changed=1

TASKS RECAP ********************************************************************
Monday 07 December 2026  00:00:01 +0000 (0:00:03.500)       0:00:11.510 *******
INFO     [demo > verify] Executing
INFO     [demo > verify] Executing Testinfra tests found in /x/tests/...
12.50s call     x/molecule/demo/tests/test_demo.py::test_one
======================== 1 passed in 13.25s (0:00:13) ========================
INFO     [demo > destroy] Executing
INFO     [demo > destroy] Executing
"""


def test_steps_tasks_tests_and_the_day_boundary(tmp_path):
    log = tmp_path / "molecule-demo.log"
    log.write_text(LOG)
    steps, tasks, tests = ci_profile.profile(str(log))
    # 23:59:50 to 00:00:01 is 11 s; verify is pytest's total; the second destroy is numbered.
    assert steps == {"converge": 11.0, "verify": 13.25, "destroy": 0.0, "destroy2": 0.0}
    assert tests == [(12.5, "x/molecule/demo/tests/test_demo.py::test_one")]
    assert dict(tasks) == {"efficientai.mlops.mlflow : Install": [8.0, 1], "efficientai.mlops.mlflow : Start": [3.5, 1]}
