"""Smoke DAG of the airflow Molecule scenarios: one task that reports the chain
of processes that ran it, so that a test can tell a Celery worker from the
scheduler's LocalExecutor."""

import os
import socket

from airflow.sdk import dag, task


def process_chain():
    """Command lines from this process up to (not including) PID 1."""
    chain = []
    pid = os.getpid()
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            chain.append(cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip())
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            pid = int(stat.read().rsplit(")", 1)[1].split()[1])
    return chain


@dag(dag_id="efficientai_smoke", schedule=None, catchup=False, tags=["efficientai"])
def efficientai_smoke():
    @task
    def report():
        return {"hostname": socket.gethostname(), "processes": process_chain()}

    report()


efficientai_smoke()
