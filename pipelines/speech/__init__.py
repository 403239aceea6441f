"""Speech: sound to timed words. ``transcribe`` runs faster-whisper, ``alignment`` moves
word boundaries onto the voice, ``export`` writes a transcript as text, JSON, SRT or WebVTT.
The language work (detection, multilingual models) lands here too."""
