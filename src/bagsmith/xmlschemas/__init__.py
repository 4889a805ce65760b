"""Official XML schemas: install them into a per-user cache, verify them, validate offline.

Public API: :func:`cache_dir`, :func:`status`, :func:`install` with :func:`from_folder` or
:func:`from_urls`, :func:`validator` (compiled driver schema), :func:`validate_stream` (with
:func:`validate_with_proof` / :func:`read_proven`: bytes proven valid are not checked twice),
:func:`parse_untrusted`.
"""

from __future__ import annotations

from .cache import CacheStatus, FileStatus, cache_dir, require_installed, status
from .install import InstalledFile, InstallResult, from_folder, from_urls, install, verify_xsd
from .registry import BAGSMITH_DC_NS, OfficialSchema, official_schemas
from .safeparse import Parsed, parse_untrusted
from .stream import Proof, read_proven, validate_stream, validate_with_proof
from .validate import Validator, validator

__all__ = [
    "BAGSMITH_DC_NS",
    "CacheStatus",
    "FileStatus",
    "InstallResult",
    "InstalledFile",
    "OfficialSchema",
    "Parsed",
    "Proof",
    "Validator",
    "cache_dir",
    "from_folder",
    "from_urls",
    "install",
    "official_schemas",
    "parse_untrusted",
    "read_proven",
    "require_installed",
    "status",
    "validate_stream",
    "validate_with_proof",
    "validator",
    "verify_xsd",
]
