"""A local S3 server (moto's) on 127.0.0.1 for the object-storage lake tests.

``s3_server()`` yields the environment a process needs to use it as the lake: the
standard AWS_* variables (s3fs, DuckDB through s3fs, and Spark's S3A all read them), the
bucket's ``FOLIO_LAKE_URL``, and a ``SPARK_CONF_DIR`` whose ``spark-defaults.conf`` puts
the S3A connector on Spark's classpath, as an operator would on a real deployment.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ports import free_port

REPO = Path(__file__).resolve().parent.parent


def hadoop_aws_jars() -> list[str]:
    """The S3A jars (downloaded once by scripts/hadoop_aws_jars.sh, then cached)."""
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "hadoop_aws_jars.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return [str(p) for p in sorted(Path(out).glob("*.jar"))]


def spark_conf_dir(root: Path) -> Path:
    """A SPARK_CONF_DIR for S3A with the jars of hadoop_aws_jars.sh.

    Those jars (hadoop-aws 3.3.1, AWS SDK v1) are older than pyspark's Hadoop 3.5 client,
    whose defaults name SDK v2 credential providers and give timeouts as '60s': the
    provider and the timeouts are set here in the form 3.3.1 reads. A cluster's own
    hadoop-aws of its Hadoop version needs none of this.
    """
    conf = root / "spark-conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "spark-defaults.conf").write_text(
        "\n".join(
            [
                f"spark.jars {','.join(hadoop_aws_jars())}",
                "spark.hadoop.fs.s3a.aws.credentials.provider"
                " com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
                "spark.hadoop.fs.s3a.threads.keepalivetime 60",
                "spark.hadoop.fs.s3a.connection.timeout 200000",
                "spark.hadoop.fs.s3a.connection.establish.timeout 30000",
                "spark.hadoop.fs.s3a.connection.request.timeout 0",
                "spark.hadoop.fs.s3a.multipart.purge.age 86400",
                "",
            ]
        )
    )
    return conf


@contextmanager
def s3_server(bucket: str = "folio-lake", spark: bool = False):
    """Yield the environment (a dict) of a lake at s3://<bucket>/lake on a fresh server."""
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="folio-s3-"))
    log = (root / "moto.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "folio-test",
        "AWS_SECRET_ACCESS_KEY": "folio-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": endpoint,
        "FOLIO_LAKE_URL": f"s3://{bucket}/lake",
    }
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"moto_server did not start: {(root / 'moto.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.2)
        urllib.request.urlopen(
            urllib.request.Request(f"{endpoint}/{bucket}", method="PUT"), timeout=10
        ).close()
        if spark:
            env["SPARK_CONF_DIR"] = str(spark_conf_dir(root))
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
