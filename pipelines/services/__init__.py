"""An owner's library as small services, one capability each (``video_service``,
``ingest_service``, ``search_service``, ``clip_service``, ``job_service``), composed by
``pipelines.library.OwnerLibrary``. Each sees only its owner's rows (``OwnerScope``); answers,
summaries and reels join as services of their own."""
