"""PySpark jobs: pure DataFrame -> DataFrame steps plus a thin ``run`` per job."""
