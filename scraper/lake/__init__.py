"""The lake: the archive published as Apache Iceberg tables, for many daemons and any engine.

See the README, "Running on many machines". ``catalog`` opens the lake, ``tables`` declares
its four tables, ``publish`` appends what a local archive stored (exactly once), ``query``
runs DuckDB over the tables, ``compact`` rewrites small files, ``claims`` says which daemon
polls which source. Nothing here is imported unless a lake is configured.
"""
