"""Use case: deposit a bag to a target and prove it arrived intact; list past deposits."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..deposit import record
from ..deposit.base import (
    FAILED,
    DepositOptions,
    DepositResult,
    RetryPolicy,
    TransientError,
    now_iso,
    reason_of,
    retry,
)
from ..deposit.registry import build, resolve
from ..deposit.source import load_bag
from ..errors import BagsmithError


def deposit_bag(
    bag_path: str | os.PathLike[str],
    target: str,
    *,
    verify: bool = True,
    dry_run: bool = False,
    name: str | None = None,
    object_id: str | None = None,
    endpoint_url: str | None = None,
    trust_host_key: str | None = None,
    config: str | os.PathLike[str] | None = None,
    retry_policy: RetryPolicy | None = None,
    data_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_retry: Callable[[int, str], None] | None = None,
) -> DepositResult:
    """Deposit the bag at ``bag_path`` (folder or .zip/.tar/.tgz) to ``target`` (URL or name).

    Every attempt that gets as far as the target is written to the deposit record, failures
    included; a dry run is never recorded (an identical bag already at the target is
    reported as ``already-present`` by a dry run too). Raises the :class:`BagsmithError` that stopped the
    deposit; its ``reason`` says why (see ``deposit.base.REASONS``).
    """
    overrides: Mapping[str, Any] = {"endpoint_url": endpoint_url, "trust_host_key": trust_host_key}
    spec = resolve(target, config=config, overrides=overrides)
    policy = retry_policy or spec.retry
    bag = load_bag(bag_path)
    result = DepositResult(target=spec.display, bag=str(bag.path))
    history = tuple(
        e
        for e in record.read(data_dir)
        if e.get("target") == spec.display and e.get("outcome") in ("deposited", "already-present")
    )
    options = DepositOptions(
        verify=verify, dry_run=dry_run, name=name, object_id=object_id, history=history
    )
    tgt = None
    try:
        tgt = build(spec)
        bag.digest(progress)
        result.files = len(bag.files)
        result.bytes = bag.size
        if bag.kind == "folder":
            result.checksums["bag-sha256"] = bag.fingerprint()
        else:
            result.checksums.update(bag.digests[bag.files[0].relpath])
        if bag.external_identifier:
            result.identifiers["External-Identifier"] = bag.external_identifier

        def attempt() -> None:
            result.attempts += 1
            tgt.deposit(bag, options, result)

        def retried(number: int, exc: TransientError) -> None:
            result.details.append(f"attempt {number} failed: {exc.message}")
            if on_retry is not None:
                on_retry(number, exc.message)

        retry(attempt, policy, on_retry=retried)
    except BagsmithError as exc:
        result.outcome = FAILED
        result.verified = False
        result.error = {**exc.to_dict(), "reason": reason_of(exc)}
        result.finished = now_iso()
        if result.attempts and not dry_run:
            record.append(result, data_dir)
        raise
    finally:
        close = getattr(tgt, "close", None)
        if close is not None:
            close()
    result.finished = now_iso()
    if not dry_run:
        record.append(result, data_dir)
    return result


def list_deposits(
    *,
    data_dir: Path | None = None,
    bag: str | None = None,
    outcome: str | None = None,
) -> list[dict[str, object]]:
    """Recorded deposits, oldest first, optionally only those of one bag or one outcome."""
    entries = record.read(data_dir)
    if bag is not None:
        wanted = str(Path(bag).resolve())
        entries = [e for e in entries if e.get("bag") == wanted]
    if outcome is not None:
        entries = [e for e in entries if e.get("outcome") == outcome]
    return entries
