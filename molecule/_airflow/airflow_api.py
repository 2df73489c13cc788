"""What the airflow scenarios' tests do through Airflow's REST API, from the
controller (the containers share its network)."""

import json
import time
import urllib.error
import urllib.request


class AirflowApi:
    def __init__(self, base_url, username, password, context=None):
        """context: the ssl.SSLContext for an https base_url (a private CA)."""
        self.base_url = base_url.rstrip("/")
        self.context = context
        self.username = username
        self.password = password
        self._token = None

    def call(self, method, path, body=None, token=True):
        """Return (status, JSON or None); token=False sends no credentials."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {self.token()}"
        request = urllib.request.Request(self.base_url + path, method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(request, timeout=120, context=self.context) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, None

    def token(self):
        if self._token is None:
            status, answer = self.call("POST", "/auth/token", {"username": self.username, "password": self.password},
                                       token=False)
            assert status == 201, f"POST /auth/token answered {status}: {answer}"
            self._token = answer["access_token"]
        return self._token

    def wait_for_dag(self, dag_id, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.call("GET", f"/api/v2/dags/{dag_id}")[0] == 200:
                return
            time.sleep(3)
        raise AssertionError(f"DAG {dag_id} was not parsed within {timeout} s")

    def run_dag(self, dag_id, timeout=180):
        """Unpause, trigger and wait for the DAG; return the final dag run."""
        self.wait_for_dag(dag_id)
        status, answer = self.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        assert status == 200, f"unpausing {dag_id}: HTTP {status} {answer}"
        status, run = self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        assert status == 200, f"triggering {dag_id}: HTTP {status} {run}"
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, run = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}")
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(3)
        return run

    def return_value(self, dag_id, run_id, task_id):
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
        status, entry = self.call("GET", path + "?deserialize=true")
        assert status == 200, f"reading the XCom of {task_id}: HTTP {status} {entry}"
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) else value
