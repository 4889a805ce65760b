"""The option of ``bagsmith`` for each setting the library names in its errors.

The library says what is wrong in its own terms; a message or hint that names a setting says
``{max_size}`` or ``{symlinks=follow}`` (``errors.SETTINGS``), and an error about a setting
carries it as ``parameter``. The CLI shows each by the option a user types
(``--max-size``, ``--symlinks follow``): :func:`flag_name` is the namer it passes to
``BagsmithError.text`` and ``to_dict``. A test checks that every setting has an option here
and that every option exists.
"""

from __future__ import annotations

#: Setting (errors.SETTINGS) → the option that gives it.
FLAGS: dict[str, str] = {
    "algorithms": "--algorithm",
    "allow_broken_images": "--allow-broken-images",
    "archive_format": "--archive-format",
    "base_url": "--base-url",
    "created": "--created",
    "delay": "--delay",
    "for_system": "--for",
    "force": "--force",
    "from_dir": "--from",
    "group_id": "--group-id",
    "ignore_robots": "--ignore-robots",
    "images": "--images",
    "info": "--info",
    "info_file": "--info-file",
    "limit": "--limit",
    "max_capture_bytes": "--max-capture-size",
    "max_redirects": "--max-redirects",
    "max_resource_bytes": "--max-resource-size",
    "max_size": "--max-size",
    "metadata": "--metadata",
    "name": "--name",
    "object_id": "--object-id",
    "objects": "--objects",
    "os_files": "--os-files",
    "output": "--output",
    "portable": "--portable",
    "processes": "--processes",
    "profile": "--profile",
    "render": "--render",
    "require_images": "--require-images",
    "resume": "--resume",
    "rights": "--rights",
    "root": "--root",
    "scheduler": "--scheduler",
    "serialize": "--serialize",
    "symlinks": "--symlinks",
    "tag_files": "--tag-file",
    "target": "--to",
    "timeout": "--timeout",
    "trust_host_key": "--trust-host-key",
    "user_agent": "--user-agent",
    "workers": "--workers",
}


def flag_name(setting: str, value: str | None) -> str:
    """A setting as the command line spells it: ``--max-size``, ``--symlinks follow``."""
    flag = FLAGS[setting]
    return flag if value is None else f"{flag} {value}"
