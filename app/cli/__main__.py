"""``python -m app.cli``: the ``vidscope`` command."""

from app.cli import main

main()
