"""Understanding: answers to questions about a library, cited to the second (``answers``), by
one of several generators behind one small interface (``generators``: extractive, no model;
``openai_chat``: any OpenAI-compatible server, with retries and a circuit breaker that falls back
to extractive). Summaries and chapters join here next."""
