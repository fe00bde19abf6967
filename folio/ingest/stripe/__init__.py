"""The Stripe loader: typed Parquet tables from the daily JSON-lines exports.

``shapes`` and ``fields`` hold what is decoded, ``columns`` and ``specs`` what is written,
``parser`` turns one line into one row or a quarantine reason, and ``load`` is the stage
(``load_stripe``) that reads a window's files, writes the lake and the ingest ledger.
"""
