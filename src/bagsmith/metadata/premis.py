"""PREMIS 3.0 objects, events and agents for METS ``amdSec`` sections."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Agent, PackageFile
from .xmlns import PREMIS, schema_location, sub, xsi_type

PREMIS_VERSION = "3.0"
#: BagIt algorithm name → PREMIS/METS messageDigestAlgorithm (only those both know).
DIGEST_NAMES: dict[str, str] = {
    "sha512": "SHA-512",
    "sha384": "SHA-384",
    "sha256": "SHA-256",
    "sha1": "SHA-1",
    "md5": "MD5",
}
#: Preference when one checksum is chosen (METS CHECKSUM).
CHECKSUM_PREFERENCE = ("sha256", "sha512", "sha384", "sha1", "md5")

FORMAT_NAMES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "Portable Network Graphics",
    "image/tiff": "Tagged Image File Format",
    "image/gif": "Graphics Interchange Format",
    "image/webp": "WebP",
    "text/plain": "Plain text",
    "text/html": "Hypertext Markup Language",
    "application/xml": "Extensible Markup Language",
    "text/xml": "Extensible Markup Language",
    "application/json": "JSON",
    "application/yaml": "YAML",
}


EVENT_TYPES = "http://id.loc.gov/vocabulary/preservation/eventType"


@dataclass(frozen=True)
class AgentRef:
    """An agent as PREMIS identifies it, with the role it plays in events.

    ``key`` names it for events (``Event.agents``): "software", "organization", "archivist",
    or a tool's own key such as "fido"."""

    agent: Agent
    identifier_type: str
    identifier_value: str
    event_role: str  # e.g. "executing program", "implementer"
    key: str = ""


def agent_ref(agent: Agent, key: str | None = None) -> AgentRef:
    """How PREMIS identifies ``agent``: software by name-version, a person by their e-mail
    (``mailto:`` URI) or given identifier, an organisation by its identifier or name."""
    if agent.kind == "software":
        value = f"{agent.name}-{agent.version}" if agent.version else agent.name
        return AgentRef(
            agent, "software", agent.identifier or value, "executing program", key or agent.name
        )
    if agent.identifier:
        return AgentRef(agent, "URI", agent.identifier, _ROLE[agent.kind], key or agent.kind)
    if agent.email:
        return AgentRef(
            agent, "URI", f"mailto:{agent.email}", _ROLE[agent.kind], key or "archivist"
        )
    return AgentRef(
        agent, "local", agent.name, _ROLE.get(agent.kind, "implementer"), key or agent.kind
    )


_ROLE = {"person": "implementer", "organization": "authorizer", "software": "executing program"}


@dataclass(frozen=True)
class Event:
    """One PREMIS event on one file. ``agents``: keys of the agents it links (every agent of
    the package when empty)."""

    identifier: str  # UUID
    event_type: str  # PREMIS event type, e.g. "message digest calculation"
    datetime: str
    detail: str
    outcome: str
    outcome_note: str | None
    object_path: str
    agents: tuple[str, ...] = ()


def format_designation(pf: PackageFile) -> tuple[str, str | None]:
    """(format name, version): the identified PRONOM format, else the name of the MIME type.
    MIX and PREMIS both use this, so they name a file's format the same way."""
    if pf.format is not None and pf.format.puid:
        return pf.format.name, pf.format.version
    mime = pf.mime_type or (pf.image.mime_type if pf.image is not None else None)
    if mime:
        return FORMAT_NAMES.get(mime.split(";")[0].strip(), mime), None
    if pf.image is not None and pf.image.format:
        return pf.image.format, None
    return "unknown", None


def format_name(pf: PackageFile) -> str:
    return format_designation(pf)[0]


def object_element(
    parent: Any,
    pf: PackageFile,
    extension: Callable[[Any], Any] | None = None,
    rights: Sequence[str] = (),
) -> Any:
    """``premis:object xsi:type="premis:file"``: identifier, fixity, size, format (name,
    version, PRONOM PUID), ``extension`` (MIX) in objectCharacteristicsExtension, original
    name, and the identifiers of the rights statements that apply."""
    obj = schema_location(sub(parent, PREMIS, "object", version=PREMIS_VERSION))
    xsi_type(obj, "premis:file")
    ident = sub(obj, PREMIS, "objectIdentifier")
    sub(ident, PREMIS, "objectIdentifierType", "local")
    sub(ident, PREMIS, "objectIdentifierValue", pf.path)
    chars = sub(obj, PREMIS, "objectCharacteristics")
    sub(chars, PREMIS, "compositionLevel", "0")
    for alg in DIGEST_NAMES:
        digest = pf.digests.get(alg)
        if digest:
            fixity = sub(chars, PREMIS, "fixity")
            sub(fixity, PREMIS, "messageDigestAlgorithm", DIGEST_NAMES[alg])
            sub(fixity, PREMIS, "messageDigest", digest.lower())
            sub(fixity, PREMIS, "messageDigestOriginator", "bagsmith")
    sub(chars, PREMIS, "size", str(pf.size))
    fmt = sub(chars, PREMIS, "format")
    designation = sub(fmt, PREMIS, "formatDesignation")
    name, version = format_designation(pf)
    sub(designation, PREMIS, "formatName", name)
    if version:
        sub(designation, PREMIS, "formatVersion", version)
    puid = pf.format.puid if pf.format is not None else pf.puid
    if puid:
        registry = sub(fmt, PREMIS, "formatRegistry")
        sub(registry, PREMIS, "formatRegistryName", "PRONOM")
        sub(registry, PREMIS, "formatRegistryKey", puid)
        sub(registry, PREMIS, "formatRegistryRole", "identification")
    if pf.format is not None and pf.format.basis != "signature":
        sub(fmt, PREMIS, "formatNote", f"identified by {pf.format.basis}")
    if extension is not None:
        extension(sub(chars, PREMIS, "objectCharacteristicsExtension"))
    sub(obj, PREMIS, "originalName", pf.original_name or posixpath.basename(pf.path))
    for identifier in rights:
        link = sub(obj, PREMIS, "linkingRightsStatementIdentifier")
        sub(link, PREMIS, "linkingRightsStatementIdentifierType", "UUID")
        sub(link, PREMIS, "linkingRightsStatementIdentifierValue", identifier)
    return obj


def event_element(parent: Any, event: Event, agents: Sequence[AgentRef]) -> Any:
    el = schema_location(sub(parent, PREMIS, "event", version=PREMIS_VERSION))
    ident = sub(el, PREMIS, "eventIdentifier")
    sub(ident, PREMIS, "eventIdentifierType", "UUID")
    sub(ident, PREMIS, "eventIdentifierValue", event.identifier)
    sub(el, PREMIS, "eventType", event.event_type, authorityURI=EVENT_TYPES)
    sub(el, PREMIS, "eventDateTime", event.datetime)
    detail = sub(el, PREMIS, "eventDetailInformation")
    sub(detail, PREMIS, "eventDetail", event.detail)
    outcome = sub(el, PREMIS, "eventOutcomeInformation")
    sub(outcome, PREMIS, "eventOutcome", event.outcome)
    if event.outcome_note:
        note = sub(outcome, PREMIS, "eventOutcomeDetail")
        sub(note, PREMIS, "eventOutcomeDetailNote", event.outcome_note)
    for ref in agents:
        if event.agents and ref.key not in event.agents:
            continue
        link = sub(el, PREMIS, "linkingAgentIdentifier")
        sub(link, PREMIS, "linkingAgentIdentifierType", ref.identifier_type)
        sub(link, PREMIS, "linkingAgentIdentifierValue", ref.identifier_value)
        sub(link, PREMIS, "linkingAgentRole", ref.event_role)
    obj = sub(el, PREMIS, "linkingObjectIdentifier")
    sub(obj, PREMIS, "linkingObjectIdentifierType", "local")
    sub(obj, PREMIS, "linkingObjectIdentifierValue", event.object_path)
    return el


def agent_element(parent: Any, ref: AgentRef) -> Any:
    el = schema_location(sub(parent, PREMIS, "agent", version=PREMIS_VERSION))
    ident = sub(el, PREMIS, "agentIdentifier")
    sub(ident, PREMIS, "agentIdentifierType", ref.identifier_type)
    sub(ident, PREMIS, "agentIdentifierValue", ref.identifier_value)
    sub(el, PREMIS, "agentName", ref.agent.name)
    sub(el, PREMIS, "agentType", ref.agent.kind)
    if ref.agent.version:
        sub(el, PREMIS, "agentVersion", ref.agent.version)
    if ref.agent.role:
        sub(el, PREMIS, "agentNote", f"role: {ref.agent.role}")
    if ref.agent.email:
        sub(el, PREMIS, "agentNote", f"e-mail: {ref.agent.email}")
    return el
