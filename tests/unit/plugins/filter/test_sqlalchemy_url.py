"""Unit tests of the sqlalchemy_url filter."""

from urllib.parse import unquote, urlsplit

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.efficientai.mlops.plugins.filter.sqlalchemy_url import sqlalchemy_url


def postgres(**fields):
    return dict({'dialect': 'postgresql', 'host': 'db.example.com', 'port': 5432, 'database': 'mlflow',
                 'user': 'mlflow', 'password': 'secret'}, **fields)


def test_sqlite():
    assert sqlalchemy_url({'dialect': 'sqlite', 'path': '/var/lib/mlflow/mlflow.db'}) == 'sqlite:////var/lib/mlflow/mlflow.db'


def test_postgresql_uses_psycopg2():
    assert sqlalchemy_url(postgres()) == 'postgresql+psycopg2://mlflow:secret@db.example.com:5432/mlflow'


@pytest.mark.parametrize('password', ['p@ss:w/rd', 'a%20b', 'x#y?z=1&', "quo'te\"s", 'spa ce', 'ünïcode'])
def test_credentials_survive_any_character(password):
    url = urlsplit(sqlalchemy_url(postgres(password=password, user='us@er')))
    assert url.hostname == 'db.example.com'
    assert url.port == 5432
    assert url.path == '/mlflow'
    assert unquote(url.password) == password
    assert unquote(url.username) == 'us@er'


def test_query_parameters_are_sorted_and_encoded():
    url = sqlalchemy_url(postgres(query={'sslmode': 'verify-full', 'application_name': 'ml flow'}))
    assert url.endswith('/mlflow?application_name=ml+flow&sslmode=verify-full')


def test_ipv6_host_is_bracketed():
    assert '@[::1]:15432/' in sqlalchemy_url(postgres(host='::1', port=15432))


def test_no_password():
    assert sqlalchemy_url(postgres(password='')) == 'postgresql+psycopg2://mlflow@db.example.com:5432/mlflow'


@pytest.mark.parametrize('database, message', [
    ({'dialect': 'mysql'}, 'dialect must be one of'),
    ({'dialect': 'sqlite', 'path': 'relative.db'}, 'must be absolute'),
    ({'dialect': 'sqlite'}, "'path' is required"),
    (postgres(host='db/evil'), 'is not a host name'),
    (postgres(host=''), "'host' is required"),
    (postgres(port=0), 'port must be 1-65535'),
    (postgres(port='5432x'), 'port must be 1-65535'),
    (postgres(user=None), "'user' is required"),
    (postgres(query='sslmode=require'), 'query must be a dict'),
    ('sqlite:///x.db', 'expects a dict'),
])
def test_bad_input_is_refused(database, message):
    with pytest.raises(AnsibleFilterError, match=message):
        sqlalchemy_url(database)
