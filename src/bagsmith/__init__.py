"""bagsmith: web articles and their photographs into BagIt preservation packages."""

__version__ = "0.1.0"

__all__ = ["__version__"]
