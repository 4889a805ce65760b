"""Use cases that compose the subsystems; the CLI calls exactly one of these per command.

One module per use case (``bagging``, ``validation``, ``parsing``, ``describing`` …) so that the
layer stays small and readable; nothing below ``pipeline`` imports it.
"""
