"""A real Spark standalone cluster (one master, one worker) on 127.0.0.1 for tests.

Started from the pyspark install's ``bin/spark-class`` (no sbin scripts ship with pip's
pyspark), in a private work folder, and stopped after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pyspark
from ports import free_port


def _wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name} exited: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"{text!r} not in {log} after {timeout} s")


@contextmanager
def spark_cluster():
    """Yield (master URL, the worker's work folder) of a running master + worker; stop both
    after. Each application the worker ran leaves an ``app-*`` folder there."""
    home = Path(pyspark.__file__).parent
    root = Path(tempfile.mkdtemp(prefix="folio-spark-"))
    env = dict(
        os.environ,
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_WORKER_DIR=str(root / "work"),
        SPARK_LOG_DIR=str(root / "logs"),
        PYSPARK_PYTHON=sys.executable,
    )
    port, ui = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    cls = str(home / "bin" / "spark-class")
    procs = []
    try:
        mlog = root / "master.log"
        procs.append(
            subprocess.Popen(
                [cls, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(ui)],
                env=env, stdout=mlog.open("wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        _wait_for(mlog, "I have been elected leader", procs[0])
        wlog = root / "worker.log"
        procs.append(
            subprocess.Popen(
                [cls, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                 "--cores", "2", "--memory", "2g", "--webui-port", str(free_port())],
                env=env, stdout=wlog.open("wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        _wait_for(wlog, "Successfully registered with master", procs[1])
        yield url, root / "work"
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["rm", "-rf", str(root)], check=False)
