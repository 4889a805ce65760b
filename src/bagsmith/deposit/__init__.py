"""Deposit bags to storage bagsmith does not control, and prove that they arrived intact.

Targets (one module each, third-party libraries imported lazily inside them): ``file://``
(:mod:`.directory`), ``ocfl://`` (:mod:`.ocfl`), ``sftp://`` (:mod:`.sftp`), ``s3://``
(:mod:`.s3`), ``az://`` (:mod:`.azblob`) and ``sword://`` (:mod:`.sword`). :mod:`.registry` turns a URL or a configured
name into a target, :mod:`.record` keeps the deposit record.
"""
