"""Work that outlives a request: the durable job ``worker`` (a queue in the catalog, leases,
retries), batch work on Ray (``ray_session`` connects, ``ray_ingest`` and ``ray_clips`` run
the compute, ``manifest`` says what to process, ``merge`` is the one writer's half) and MLflow
``tracking`` of batches, evaluations and benchmarks."""
