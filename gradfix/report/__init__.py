"""Rendering reports: rich text for the terminal and the stable JSON format (``version`` 1)."""
