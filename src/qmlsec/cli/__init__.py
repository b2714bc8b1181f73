"""Command-line interface (``qmlsec``)."""
