"""The Spark session of a pipeline run: local by default, a cluster by configuration.

``FOLIO_SPARK_MASTER`` is ``local[*]`` (the job runs inside the task's process) or a
cluster URL (``spark://host:7077``, ``yarn``, ``k8s://...``); the driver binds to loopback
unless told otherwise (SPARK_LOCAL_IP), and Spark's web UI stays off.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING

from folio.config import Settings
from folio.core.errors import FolioError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def check_java() -> str:
    """The java Spark will start, or a FolioError naming JAVA_HOME."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home}" if home else "no JAVA_HOME and no java on PATH"
        raise FolioError(f"Spark needs Java 17 or newer: {where}; set JAVA_HOME to a JDK")
    return java


def check_master(master: str, timeout: float = 5.0) -> None:
    """A FolioError naming the master URL if no master of a ``spark://`` URL answers.

    Spark itself gives up on an unreachable standalone master only after three 20-second
    registration attempts; a TCP connect tells the same in seconds. Other masters
    (``local``, ``yarn``, ``k8s://``) are left to Spark.
    """
    import socket

    if not master.startswith("spark://"):
        return
    errors = []
    for hostport in master.removeprefix("spark://").split(","):  # HA: host1:port1,host2:port2
        host, _, port = hostport.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except (OSError, ValueError) as exc:
            errors.append(f"{hostport}: {exc}")
    raise FolioError(
        f"Spark master {master!r} (FOLIO_SPARK_MASTER) is not reachable: {'; '.join(errors)}"
    )


def lake_conf(settings: Settings) -> dict[str, str]:
    """Hadoop settings for a lake on S3 (``FOLIO_LAKE_URL``): Spark writes its ``s3://`` URL
    through S3A, at the endpoint the other engines use (``AWS_ENDPOINT_URL_S3`` or
    ``AWS_ENDPOINT_URL``; path-style addressing, as MinIO and other S3 servers want).

    The S3A classes (``hadoop-aws`` and its AWS SDK) are not in pyspark's wheel: they come
    from the cluster's Hadoop, or ``spark.jars`` in ``$SPARK_CONF_DIR/spark-defaults.conf``
    (see the README's runbook), as do credentials providers and timeouts.
    """
    if not settings.lake_is_remote:
        return {}
    conf = {"spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(
            endpoint.startswith("https://")
        ).lower()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    return conf


def session(settings: Settings, app_name: str = "folio") -> SparkSession:
    """Start (or reuse) the Spark session; a clear error if Java or the master fails."""
    check_java()
    check_master(settings.spark_master)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # py4j logs every connection at INFO, also from __del__ at interpreter exit
    logging.getLogger("py4j").setLevel(logging.WARNING)
    from pyspark.sql import SparkSession

    host = os.environ["SPARK_LOCAL_IP"]
    builder = (
        SparkSession.builder.appName(app_name)
        .master(settings.spark_master)
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.driver.host", host)
        .config("spark.driver.bindAddress", host)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.shuffle.partitions", str(max(4, (os.cpu_count() or 2) * 2)))
        .config("spark.sql.parquet.compression.codec", "zstd")
        # the job writes a file per day partition; a day past this many rows is split
        .config("spark.sql.files.maxRecordsPerFile", str(settings.spark_max_records_per_file))
        .config("spark.local.dir", str(settings.paths.spark_tmp))
    )
    for key, value in lake_conf(settings).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
        spark.range(1).count()  # a round trip: the master accepted us and runs tasks
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FolioError(
            f"Spark did not start with master {settings.spark_master!r} "
            f"(FOLIO_SPARK_MASTER): {first[:300]}"
        ) from None
    spark.sparkContext.setLogLevel("WARN")
    return spark
