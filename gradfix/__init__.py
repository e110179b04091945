"""gradfix: finds why PyTorch parameters get no gradient, fixes the script, and proves the fix."""

__version__ = "0.1.0"
