"""Prints the MLflow administrators as a JSON list, read (read-only) from the auth database named in
the auth configuration file given as argument. Run with the MLflow installation's Python."""

import configparser
import json
import sys

import sqlalchemy

config = configparser.ConfigParser()
config.read(sys.argv[1])
engine = sqlalchemy.create_engine(config["mlflow"]["database_uri"])
with engine.connect() as connection:
    rows = connection.execute(sqlalchemy.text("SELECT username FROM users WHERE is_admin ORDER BY username"))
    print(json.dumps([row[0] for row in rows]))
