"""Retrieval: sentences to passages (``chunking``) to vectors (``embed``), the two derived
indexes (``vectors`` for FAISS, ``lexical`` for BM25), each owner's pair kept in step with the
catalog (``indexes``), and hybrid search over them (``search``). The indexes are derived:
the catalog can always rebuild them."""
