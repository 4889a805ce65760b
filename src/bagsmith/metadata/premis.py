"""PREMIS 3.0 objects, events and agents for METS ``amdSec`` sections."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Agent, PackageFile
from .xmlns import PREMIS, sub, xsi_type

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


@dataclass(frozen=True)
class AgentRef:
    """An agent as PREMIS identifies it, with the role it plays in events."""

    agent: Agent
    identifier_type: str
    identifier_value: str
    event_role: str  # e.g. "executing program", "implementer"


def agent_ref(agent: Agent) -> AgentRef:
    if agent.kind == "software":
        value = f"{agent.name}-{agent.version}" if agent.version else agent.name
        return AgentRef(agent, "preservation system", value, "executing program")
    return AgentRef(agent, "local", agent.name, "implementer")


@dataclass(frozen=True)
class Event:
    identifier: str  # UUID
    event_type: str  # PREMIS event type, e.g. "message digest calculation"
    datetime: str
    detail: str
    outcome: str
    outcome_note: str | None
    object_path: str


def format_name(pf: PackageFile) -> str:
    if pf.image is not None and pf.image.format:
        return pf.image.format
    if pf.mime_type:
        return FORMAT_NAMES.get(pf.mime_type.split(";")[0].strip(), pf.mime_type)
    return "unknown"


def object_element(parent: Any, pf: PackageFile) -> Any:
    """``premis:object xsi:type="premis:file"``: identifier, fixity, size, format, original name."""
    obj = sub(parent, PREMIS, "object", version=PREMIS_VERSION)
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
    sub(designation, PREMIS, "formatName", format_name(pf))
    if pf.puid:
        registry = sub(fmt, PREMIS, "formatRegistry")
        sub(registry, PREMIS, "formatRegistryName", "PRONOM")
        sub(registry, PREMIS, "formatRegistryKey", pf.puid)
        sub(registry, PREMIS, "formatRegistryRole", "identification")
    sub(obj, PREMIS, "originalName", pf.original_name or posixpath.basename(pf.path))
    return obj


def event_element(parent: Any, event: Event, agents: Sequence[AgentRef]) -> Any:
    el = sub(parent, PREMIS, "event", version=PREMIS_VERSION)
    ident = sub(el, PREMIS, "eventIdentifier")
    sub(ident, PREMIS, "eventIdentifierType", "UUID")
    sub(ident, PREMIS, "eventIdentifierValue", event.identifier)
    sub(el, PREMIS, "eventType", event.event_type)
    sub(el, PREMIS, "eventDateTime", event.datetime)
    detail = sub(el, PREMIS, "eventDetailInformation")
    sub(detail, PREMIS, "eventDetail", event.detail)
    outcome = sub(el, PREMIS, "eventOutcomeInformation")
    sub(outcome, PREMIS, "eventOutcome", event.outcome)
    if event.outcome_note:
        note = sub(outcome, PREMIS, "eventOutcomeDetail")
        sub(note, PREMIS, "eventOutcomeDetailNote", event.outcome_note)
    for ref in agents:
        link = sub(el, PREMIS, "linkingAgentIdentifier")
        sub(link, PREMIS, "linkingAgentIdentifierType", ref.identifier_type)
        sub(link, PREMIS, "linkingAgentIdentifierValue", ref.identifier_value)
        sub(link, PREMIS, "linkingAgentRole", ref.event_role)
    obj = sub(el, PREMIS, "linkingObjectIdentifier")
    sub(obj, PREMIS, "linkingObjectIdentifierType", "local")
    sub(obj, PREMIS, "linkingObjectIdentifierValue", event.object_path)
    return el


def agent_element(parent: Any, ref: AgentRef) -> Any:
    el = sub(parent, PREMIS, "agent", version=PREMIS_VERSION)
    ident = sub(el, PREMIS, "agentIdentifier")
    sub(ident, PREMIS, "agentIdentifierType", ref.identifier_type)
    sub(ident, PREMIS, "agentIdentifierValue", ref.identifier_value)
    sub(el, PREMIS, "agentName", ref.agent.name)
    sub(el, PREMIS, "agentType", ref.agent.kind)
    if ref.agent.version:
        sub(el, PREMIS, "agentVersion", ref.agent.version)
    if ref.agent.role:
        sub(el, PREMIS, "agentNote", f"role: {ref.agent.role}")
    return el
