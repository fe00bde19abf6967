#!/usr/bin/env bash
# The S3A connector for Spark (hadoop-aws and the AWS SDK bundle it was built against),
# for the object-storage lake test; prints the folder that holds the two jars.
#
# pyspark's wheel ships Hadoop's client without S3A. A cluster brings its own hadoop-aws
# (matching its Hadoop version: spark.jars.packages=org.apache.hadoop:hadoop-aws:<ver>).
# Maven Central cannot be reached from these machines, so the jars come from PyPI: the
# sagemaker-pyspark 1.4.5 sdist carries Apache's hadoop-aws-3.3.1.jar and
# aws-java-sdk-bundle-1.11.901.jar. Checked against the sha256 sums below; cached.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${FOLIO_HADOOP_AWS_DIR:-.cache/hadoop-aws}
declare -A SHA=(
    [hadoop-aws-3.3.1.jar]=6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e
    [aws-java-sdk-bundle-1.11.901.jar]=b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead
)
have() {
    local jar
    for jar in "${!SHA[@]}"; do
        [ -f "$DEST/$jar" ] && [ "$(sha256sum "$DEST/$jar" | cut -d' ' -f1)" = "${SHA[$jar]}" ] || return 1
    done
}
if ! have; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    printf '[hadoop-aws] downloading sagemaker-pyspark 1.4.5 (sdist, 181 MB) for its S3A jars\n' >&2
    .venv/bin/python -m pip download -q --no-deps --no-binary :all: sagemaker-pyspark==1.4.5 -d "$tmp"
    mkdir -p "$DEST"
    for jar in "${!SHA[@]}"; do
        tar -xzf "$tmp"/sagemaker_pyspark-1.4.5.tar.gz -C "$tmp" "sagemaker_pyspark-1.4.5/deps/jars/$jar"
        mv "$tmp/sagemaker_pyspark-1.4.5/deps/jars/$jar" "$DEST/$jar"
    done
    have || { echo "[hadoop-aws] checksum mismatch in $DEST" >&2; exit 1; }
fi
cd "$DEST" && pwd
