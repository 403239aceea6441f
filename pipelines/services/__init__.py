"""An owner's library as small services, one capability each: ``video_service``,
``ingest_service``, ``search_service``, ``answer_service`` (and ``answer_stream``),
``summary_service``, ``speaker_service``, ``clip_service``, ``reel_service`` and
``job_service``, composed by ``pipelines.library.OwnerLibrary``. Each sees only its owner's
rows (``scope.OwnerScope``)."""
