"""Storage: what lasts on disk. ``catalog`` is the DuckDB source of truth (owner views and
one system view over its tables); ``shards`` are the Parquet files batch workers hand the
writer; ``files`` publishes a file whole or not at all (``atomic_write``) and stores media."""
