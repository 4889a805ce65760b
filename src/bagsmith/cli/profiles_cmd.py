"""``bagsmith profiles list`` / ``bagsmith profiles show NAME``: the BagIt profiles bagsmith knows."""

from __future__ import annotations

import textwrap

import click

from ..errors import ProfileError, UsageError
from ..pipeline.profiling import Profile, list_profiles, show_profile
from .common import Output, output_options


@click.group("profiles")
def profiles() -> None:
    """BagIt profiles: the bundled ones and those in the local profile cache.

    A profile is named by its file name in bagsmith's profiles/ folder (e.g.
    bagsmith-article-v1), by a path to a JSON file, or by its BagIt-Profile-Identifier when
    it is bundled or saved in the local profile cache ($BAGSMITH_PROFILE_DIR). bagsmith never
    downloads a profile.
    """


@profiles.command("list")
@output_options
def list_cmd(out: Output) -> None:
    """List the bundled and cached profiles."""
    listing = list_profiles()
    if out.json_mode:
        out.emit_json(listing.to_dict())
        return
    for profile in listing.profiles:
        out.info(
            f"{profile.name}  (version {profile.version}, BagIt Profiles {profile.spec_version}, "
            f"{profile.origin})"
        )
        out.info(f"  {profile.identifier}")
        out.info(
            textwrap.fill(profile.description, 96, initial_indent="  ", subsequent_indent="  ")
        )
    out.info(f"local profile cache: {listing.cache}")
    for problem in listing.problems:
        out.warn(f"bagsmith: warning: invalid cached profile skipped: {problem}")


def _join(values: tuple[str, ...] | None, empty: str = "none") -> str:
    return ", ".join(values) if values else empty


def render_profile(profile: Profile) -> list[str]:
    """A profile as lines an archivist can read."""
    lines = [
        f"Name:                 {profile.name} ({profile.origin}: {profile.path})",
        f"Identifier:           {profile.identifier}",
    ]
    copy_of = profile.info.get("Bagsmith-Copy-Of")
    if copy_of:
        lines.append(f"Restates:             {copy_of}")
    lines += [
        f"Version:              {profile.version}",
        f"BagIt Profiles spec:  {profile.spec_version}",
        f"Source-Organization:  {profile.organization}",
    ]
    for key in ("Contact-Name", "Contact-Email", "Contact-Phone"):
        if key in profile.info:
            lines.append(f"{key + ':':<22}{profile.info[key]}")
    lines.append(textwrap.fill(profile.description, 96))
    lines.append("")
    lines.append("bag-info.txt tags (BagIt-Profile-Identifier is always required):")
    for rule in profile.tag_rules():
        flags = "required" if rule.required else "recommended" if rule.recommended else "optional"
        if not rule.repeatable:
            flags += ", once"
        line = f"  {rule.label:<30} {flags}"
        if rule.values:
            line += f"; one of: {', '.join(rule.values)}"
        if rule.default is not None:
            line += f"; default: {rule.default}"
        lines.append(line)
        if rule.description:
            lines.append(
                textwrap.fill(
                    rule.description, 96, initial_indent=" " * 4, subsequent_indent=" " * 4
                )
            )
    get = profile.get_list
    lines += [
        "",
        f"Payload manifests:    required {_join(get('Manifests-Required'))}; "
        f"allowed {_join(get('Manifests-Allowed'), 'any')}",
        f"Tag manifests:        required {_join(get('Tag-Manifests-Required'))}; "
        f"allowed {_join(get('Tag-Manifests-Allowed'), 'any')}",
        f"Tag files:            required {_join(get('Tag-Files-Required'))}; "
        f"allowed {_join(get('Tag-Files-Allowed'), 'any')}",
        f"Payload files:        required {_join(get('Payload-Files-Required'))}; "
        f"allowed {_join(get('Payload-Files-Allowed'), 'any')}",
    ]
    fetch = "not allowed" if not profile.flag("Allow-Fetch.txt", True) else "allowed"
    if profile.flag("Fetch.txt-Required", False):
        fetch = "required"
    lines.append(f"fetch.txt:            {fetch}")
    if profile.flag("Data-Empty", False):
        lines.append("Payload:              must be empty (no files, or one empty file)")
    lines.append(
        f"Serialization:        {profile.serialization}"
        + (f" ({_join(get('Accept-Serialization'))})" if get("Accept-Serialization") else "")
    )
    lines.append(f"BagIt versions:       {_join(get('Accept-BagIt-Version'))}")
    for warning in profile.warnings:
        lines.append(f"warning: {warning}")
    return lines


@profiles.command("show")
@click.argument("name")
@output_options
def show_cmd(name: str, out: Output) -> None:
    """Show one profile: NAME of a bundled profile, a PATH, or a cached identifier.

    A NAME that names no profile, or a file that is not a valid profile, is a usage error
    (exit 2), as for --profile of package and validate.
    """
    try:
        details = show_profile(name)
    except ProfileError as exc:
        raise UsageError(
            exc.template,
            path=exc.path,
            line=exc.line,
            field=exc.field,
            parameter=exc.parameter,
            hint=exc.hint_template,
        ) from exc
    if out.json_mode:
        out.emit_json(details.to_dict())
        return
    for line in render_profile(details.profile):
        out.info(line)
