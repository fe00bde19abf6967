# One image for every Folio service (Airflow's four, Superset, the Spark master and worker),
# built from the same locked requirement sets as `make setup`: scripts/setup.sh creates
# .venv (pipeline) and .venv-superset from requirements/*.txt with uv.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    # torch is pinned to its CPU build (requirements/pipeline.txt): its index, for uv
    UV_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu \
    FOLIO_HOME=/data

# Java 17 for Spark; curl for the healthchecks; procps for Spark's scripts
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl procps \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 folio \
    && mkdir -p /data /opt/folio && chown folio:folio /data /opt/folio

WORKDIR /opt/folio
USER folio

# dependencies first (a layer that only changes with the locks)
COPY --chown=folio:folio requirements/ requirements/
COPY --chown=folio:folio scripts/setup.sh scripts/setup.sh
COPY --chown=folio:folio pyproject.toml README.md ./
COPY --chown=folio:folio folio/__init__.py folio/__init__.py
RUN bash scripts/setup.sh all && rm -rf /home/folio/.cache

# then the code (the folio package is installed editable: the copy is what runs)
COPY --chown=folio:folio . .

ENV PATH=/opt/folio/.venv/bin:$PATH \
    SPARK_HOME=/opt/folio/.venv/lib/python3.11/site-packages/pyspark \
    PYSPARK_PYTHON=/opt/folio/.venv/bin/python

VOLUME ["/data"]
