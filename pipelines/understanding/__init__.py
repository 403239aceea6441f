"""Understanding: what a library's videos say. Answers cited to the second (``answers``, on
``evidence``, by one of the ``generators``: extractive with no model, a local GGUF model through
``gguf_runtime``, or any OpenAI-compatible server through ``openai_chat``), kept only where
``grounding`` finds them said; chapters (``topics``, ``titles``), a summary and key points
(``digest``, or ``written`` by a model) made by ``summaries``; repeated questions answered from
the ``cache``."""
