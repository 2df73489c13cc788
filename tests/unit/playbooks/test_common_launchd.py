"""_common's launchd backend renders the services of the mlflow and bentoml roles into
valid launchd jobs. The real task path runs here (Linux) in check and diff mode with the
facts of a Mac: the job and launcher that it would write are read from the diffs, the job
is parsed with plistlib (plutil -lint, which the task runs on a Mac, does not exist here)."""

import plistlib
import shlex

import pytest

SECRET = "s3cret-flask-key-not-for-logs"


def mlflow(home):
    venv = f"{home}/efficientai/mlflow/venv"
    return {
        "name": "mlflow",
        "command": [f"{venv}/bin/mlflow", "server"],
        "args": ["--host", "127.0.0.1", "--port", "15000", "--workers", "4",
                 "--backend-store-uri", f"sqlite:///{home}/efficientai/mlflow/mlflow.db",
                 "--artifacts-destination", f"{home}/efficientai/mlflow/artifacts", "--serve-artifacts"],
        "environment": {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        "secret_environment": {"MLFLOW_FLASK_SERVER_SECRET_KEY": SECRET},
        "working_dir": f"{home}/efficientai/mlflow",
        "restart": "always",
        "listen_port": 15000,
        "ready_http_path": "/health",
    }


def bentoml(home):
    venv = f"{home}/efficientai/bentoml/venv"
    return {
        "name": "bentoml-iris",
        "command": [f"{venv}/bin/bentoml", "serve", "iris_classifier:latest"],
        "args": ["--host", "127.0.0.1", "--port", "13000", "--api-workers", "3"],
        "environment": {"BENTOML_HOME": f"{home}/efficientai/bentoml/home", "BENTOML_DO_NOT_TRACK": "True"},
        "working_dir": f"{home}/efficientai/bentoml",
        "restart": "on-failure",
        "listen_port": 13000,
        "ready_http_path": "/readyz",
    }


@pytest.fixture(scope="module")
def render(ansible_playbook, tmp_path_factory):
    """Render services as the given login (uid 0: LaunchDaemons) and return the playbook
    run, the Mac's home and the mlops roots."""
    def run(uid, login, services):
        home = str(tmp_path_factory.mktemp("mac") / "Users" / login)
        roots = {"mlops_root": f"{home}/efficientai", "mlops_config_dir": f"{home}/efficientai/etc",
                 "mlops_log_dir": f"{home}/efficientai/log"}
        definitions = [dict({"user": login}, **service(home)) for service in services]
        result = ansible_playbook("common_launchd.yml", dict(
            roots, launchd_test_user=login, launchd_test_uid=uid, launchd_test_home=home,
            launchd_test_services=definitions), check=True, diff=True)
        assert result.rc == 0, result.output
        return result, home, roots
    return run


@pytest.fixture(scope="module")
def agents(render):
    """mlflow and bentoml as LaunchAgents of a user."""
    return render(501, "ana", [mlflow, bentoml])


@pytest.fixture(scope="module")
def daemons(render):
    """The same as LaunchDaemons, deployed by root, run as the service user."""
    return render(0, "root", [lambda home: dict(mlflow(home), user="mlflow"),
                              lambda home: dict(bentoml(home), user="mlflow")])


@pytest.fixture(scope="module")
def inactive(render):
    """mlflow not enabled at boot, bentoml stopped."""
    return render(501, "ana", [lambda home: dict(mlflow(home), enabled=False),
                               lambda home: dict(bentoml(home), state="stopped")])


def diffs(run, task):
    """The content each run of a task would write, in order."""
    written = []
    for result in run.each(task):
        diff = result["diff"]
        written.append((diff[0] if isinstance(diff, list) else diff)["after"])
    return written


def located(run):
    return [result["ansible_facts"]["__common_launchd_plist"] for result in run.each("Locate the launchd job")]


def test_agents_for_mlflow_and_bentoml(agents):
    run, home, roots = agents
    jobs = [plistlib.loads(text.encode()) for text in diffs(run, "Write the launchd job")]
    assert [job["Label"] for job in jobs] == ["com.efficientai.mlflow", "com.efficientai.bentoml-iris"]
    assert located(run) == [f"{home}/Library/LaunchAgents/com.efficientai.mlflow.plist",
                            f"{home}/Library/LaunchAgents/com.efficientai.bentoml-iris.plist"]
    for job, name in zip(jobs, ["mlflow", "bentoml-iris"]):
        assert job["ProgramArguments"] == [f"{roots['mlops_config_dir']}/{name}.run"]
        assert job["StandardOutPath"] == job["StandardErrorPath"] == f"{roots['mlops_log_dir']}/{name}.log"
        assert job["RunAtLoad"] is True
        assert "UserName" not in job and "GroupName" not in job  # an agent runs as its user
    assert jobs[0]["WorkingDirectory"] == f"{home}/efficientai/mlflow"
    assert jobs[0]["KeepAlive"] is True  # restart: always
    assert jobs[1]["KeepAlive"] == {"SuccessfulExit": False}  # restart: on-failure
    # The agents' directory is created when missing.
    created = [result["path"] for result in run.each("Create the LaunchAgents directory")]
    assert created == [f"{home}/Library/LaunchAgents"] * 2


def test_launchers_run_the_exact_command_with_the_environment_file(agents):
    run, home, roots = agents
    launchers = diffs(run, "Write the launcher")
    for launcher, service in zip(launchers, [mlflow(home), bentoml(home)]):
        lines = launcher.splitlines()
        assert lines[0] == "#!/bin/sh"
        assert f". {roots['mlops_config_dir']}/{service['name']}.env" in lines
        exec_line = [line for line in lines if line.startswith("exec ")][0]
        assert shlex.split(exec_line)[1:] == service["command"] + service["args"]


def test_secrets_stay_out_of_the_output(agents):
    run = agents[0]
    assert SECRET not in run.output
    for env_file in run.each("Write the environment file"):
        assert env_file.get("censored") and "diff" not in env_file


def test_agent_files_get_the_users_primary_group(agents):
    """A Mac has no group named after each user: a user's own files keep gid 20 (staff)."""
    run = agents[0]
    assert [str(result["msg"]) for result in run.each("Report the group of the service's files")] == ["20"] * 2


def test_daemons_as_root_run_as_the_service_user(daemons):
    run = daemons[0]
    jobs = [plistlib.loads(text.encode()) for text in diffs(run, "Write the launchd job")]
    assert located(run) == ["/Library/LaunchDaemons/com.efficientai.mlflow.plist",
                            "/Library/LaunchDaemons/com.efficientai.bentoml-iris.plist"]
    assert [(job["UserName"], job["GroupName"]) for job in jobs] == [("mlflow", "mlflow")] * 2
    assert [result["msg"] for result in run.each("Report the group of the service's files")] == ["mlflow"] * 2
    assert all(result.get("skipped") for result in run.each("Create the LaunchAgents directory"))


def test_disabled_or_stopped_jobs_neither_start_at_load_nor_restart(inactive):
    run = inactive[0]
    jobs = [plistlib.loads(text.encode()) for text in diffs(run, "Write the launchd job")]
    assert [(job["RunAtLoad"], job["KeepAlive"]) for job in jobs] == [(False, False)] * 2
