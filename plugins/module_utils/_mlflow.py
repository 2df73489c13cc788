# Copyright: (c) 2026, EfficientAI platform team
# Simplified BSD License (see https://opensource.org/licenses/BSD-2-Clause)
"""The parts of MLflow's REST API that the mlflow_* modules use (users of the basic-auth
app, experiments, runs), on the shared RestClient, plus the decisions that unit tests
check directly."""

from __future__ import annotations

from ansible_collections.efficientai.mlops.plugins.module_utils.rest import RestClient, RestError

API = '/api/2.0/mlflow'
DEFAULT_EXPERIMENT_ID = '0'
SYSTEM_TAG_PREFIX = 'mlflow.'
_PAGE = 1000


class MlflowApi:
    """One MLflow server, reached with the module's url and credentials (or `params`)."""

    def __init__(self, module, params=None):
        self.module = module
        self.rest = RestClient(module, service='MLflow', params=params)

    def call(self, method, endpoint, params=None, body=None):
        return self.rest.request(method, API + endpoint, params=params, body=body)[1] or {}

    def _get_or_none(self, endpoint, params):
        try:
            return self.call('GET', endpoint, params=params)
        except RestError as error:
            # Only MLflow's own "not found": a 404 from a wrong URL or a proxy is an error.
            if error.error_code == 'RESOURCE_DOES_NOT_EXIST':
                return None
            raise

    def _pages(self, endpoint, body, key):
        body = dict(body, max_results=_PAGE)
        while True:
            data = self.call('POST', endpoint, body=body)
            yield from data.get(key, [])
            if not data.get('next_page_token'):
                return
            body['page_token'] = data['next_page_token']

    # Users (basic-auth app). Users are read before anything is created: MLflow answers a
    # duplicate create with the failing SQL statement, password hash included.
    def get_user(self, username):
        data = self._get_or_none('/users/get', {'username': username})
        return data['user'] if data else None

    def authenticates_as(self, username, password):
        """Whether username/password logs in (reads the caller's own identity)."""
        own = MlflowApi(self.module, params=dict(self.rest.params, username=username, password=password))
        try:
            return own.call('GET', '/users/current').get('user', {}).get('username') == username
        except RestError as error:
            if error.status == 401:
                return False
            raise

    def create_user(self, username, password):
        return self.call('POST', '/users/create', body={'username': username, 'password': password})['user']

    def update_password(self, username, password, current_password=None):
        # MLflow 3.x asks a user changing their own password for the current one.
        body = {'username': username, 'password': password}
        if current_password:
            body['current_password'] = current_password
        self.call('PATCH', '/users/update-password', body=body)

    def update_admin(self, username, is_admin):
        self.call('PATCH', '/users/update-admin', body={'username': username, 'is_admin': is_admin})

    def delete_user(self, username):
        self.call('DELETE', '/users/delete', body={'username': username})

    # Experiments and runs
    def get_experiment_by_name(self, name):
        data = self._get_or_none('/experiments/get-by-name', {'experiment_name': name})
        return data['experiment'] if data else None

    def create_experiment(self, name, artifact_location=None, tags=None):
        body = {'name': name, 'tags': [{'key': k, 'value': str(v)} for k, v in sorted((tags or {}).items())]}
        if artifact_location:
            body['artifact_location'] = artifact_location
        return self.call('POST', '/experiments/create', body=body)['experiment_id']

    def delete_experiment(self, experiment_id):
        self.call('POST', '/experiments/delete', body={'experiment_id': experiment_id})

    def restore_experiment(self, experiment_id):
        self.call('POST', '/experiments/restore', body={'experiment_id': experiment_id})

    def set_experiment_tag(self, experiment_id, key, value):
        self.call('POST', '/experiments/set-experiment-tag', body={'experiment_id': experiment_id, 'key': key, 'value': value})

    def delete_experiment_tag(self, experiment_id, key):
        self.call('POST', '/experiments/delete-experiment-tag', body={'experiment_id': experiment_id, 'key': key})

    def search_experiments(self, filter_string=''):
        return self._pages('/experiments/search', {'view_type': 'ACTIVE_ONLY', 'filter': filter_string}, 'experiments')

    def latest_run_start(self, experiment_id):
        """Start time (ms) of the experiment's newest run, deleted runs included; None without runs."""
        data = self.call('POST', '/runs/search', body={
            'experiment_ids': [experiment_id], 'run_view_type': 'ALL', 'max_results': 1,
            'order_by': ['attributes.start_time DESC']})
        runs = data.get('runs') or []
        return int(runs[0]['info'].get('start_time') or 0) if runs else None

    def search_finished_runs_before(self, experiment_ids, cutoff_ms):
        return (run['info'] for run in self._pages('/runs/search', {
            'experiment_ids': list(experiment_ids), 'run_view_type': 'ACTIVE_ONLY',
            'filter': f"attributes.start_time < {int(cutoff_ms)} AND attributes.status != 'RUNNING'"}, 'runs'))

    def delete_run(self, run_id):
        self.call('POST', '/runs/delete', body={'run_id': run_id})


def tags_of(experiment):
    """The user tags of an experiment as a dict (MLflow's own mlflow.* tags left out)."""
    return {tag['key']: tag['value'] for tag in experiment.get('tags') or []
            if not tag['key'].startswith(SYSTEM_TAG_PREFIX)}


def tag_changes(current, wanted, purge):
    """Return (tags to set, tag keys to delete) to go from `current` to `wanted`."""
    to_set = {key: str(value) for key, value in wanted.items() if current.get(key) != str(value)}
    to_delete = sorted(key for key in current if key not in wanted) if purge else []
    return to_set, to_delete


def is_stale(experiment, latest_run_start, cutoff_ms):
    """Whether an experiment saw nothing since the cutoff: created, updated and last run
    started before it. The Default experiment is never stale."""
    if experiment['experiment_id'] == DEFAULT_EXPERIMENT_ID:
        return False
    activity = [int(experiment.get('creation_time') or 0), int(experiment.get('last_update_time') or 0),
                latest_run_start or 0]
    return max(activity) < cutoff_ms
