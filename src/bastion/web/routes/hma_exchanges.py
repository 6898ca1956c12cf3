"""HMA's exchange and configuration routes: `/c/exchanges[/apis|/api/<kind>]`,
`/c/exchange/<name>[/status]`, `/c/signal_type[/index]` and `/c/content_type`.

ROOST's Coop creates banks and the NCMEC hash-sharing exchange through these. The mapping:

* an HMA exchange *API* is a bastion exchange kind (`ncmec`, `fb_threatexchange`,
  `stop_ncii`, `local_file`, plugins' kinds); an HMA exchange is a bastion exchange of the
  same name, filling the bank of that name, which creating the exchange creates (as HMA does);
* `api_json` is the kind's config; NCMEC's `environment` may be given, and is shown, as the
  environment's address, as HMA names it;
* the exchange routes need an admin key, as `/api/v1/exchanges` does (exchanges hold
  credentials and reach outside addresses); credentials are set with
  ``PATCH /api/v1/exchanges/<name>``, per exchange, not per API as in HMA;
* every signal type bastion knows is listed, enabled; both content types are enabled.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from bastion.auth import ApiKey, Scope
from bastion.errors import BastionError, NotFoundError
from bastion.exchange.clients.ncmec import ENVIRONMENTS
from bastion.exchange.impl import exchange_class, exchange_kinds
from bastion.exchange.store import ExchangeStatus
from bastion.signals import signal_types
from bastion.web.inputs import api_router
from bastion.web.routes.hma import CONTENT_TYPES, HmaError, index_view, json_body
from bastion.web.routes.hma_curation import curate_key
from bastion.web.schemas import MESSAGE_RESPONSES
from bastion.web.security import every_bank
from bastion.web.services import Services, services

exchanges = api_router(tags=["hma"], responses=MESSAGE_RESPONSES)
admin_key = every_bank(Scope.ADMIN, "exchanges hold credentials: an admin key is needed")

#: NCMEC's environments by the address HMA names them with.
_NCMEC_BY_ADDRESS = {address: name for name, address in ENVIRONMENTS.items()}
#: HMA's rule for the name of an exchange (and of the bank it fills).
_HMA_EXCHANGE_NAME = re.compile(r"[A-Z0-9_]+")
#: Keys of HMA's `api_json` that bastion keeps outside the kind's config.
_HMA_KEYS = {"name", "api", "enabled"}


def _config_from_hma(kind: str, api_json: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in api_json.items() if k not in _HMA_KEYS}
    if kind == "ncmec" and config.get("environment") in _NCMEC_BY_ADDRESS:
        config["environment"] = _NCMEC_BY_ADDRESS[config["environment"]]
    return config


def _config_to_hma(status: ExchangeStatus) -> dict[str, Any]:
    config = dict(status.config)
    if status.kind == "ncmec" and config.get("environment") in ENVIRONMENTS:
        config["environment"] = ENVIRONMENTS[config["environment"]]
    return config


def _exchange(svc: Services, name: str) -> ExchangeStatus:
    try:
        return svc.exchanges.get(name)
    except NotFoundError:
        raise HmaError(404, f"Exchange '{name}' not found") from None


def _timestamp(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


@exchanges.get("/c/exchanges/apis")
def hma_exchange_apis(_k: ApiKey = Depends(admin_key)) -> list[str]:
    """The exchange kinds (HMA's exchange APIs) that may be configured."""
    return sorted(exchange_kinds())


@exchanges.get("/c/exchanges/api/{api_name}")
def hma_exchange_api(
    api_name: str, svc: Services = Depends(services), _k: ApiKey = Depends(admin_key)
) -> dict[str, bool]:
    """Whether the kind takes credentials, and whether an exchange of it has them."""
    kind = exchange_kinds().get(api_name)
    if kind is None:
        raise HmaError(400, f"no such Exchange API '{api_name}'")
    return {
        "supports_authentification": bool(kind.credential_fields),
        "has_set_authentification": any(
            s.has_credentials for s in svc.exchanges.list() if s.kind == api_name
        ),
    }


@exchanges.get("/c/exchanges")
def hma_exchanges(svc: Services = Depends(services), _k: ApiKey = Depends(admin_key)) -> list[str]:
    return [s.name for s in svc.exchanges.list()]


@exchanges.post("/c/exchanges", status_code=201)
async def hma_create_exchange(
    request: Request, svc: Services = Depends(services), key: ApiKey = Depends(admin_key)
) -> dict[str, str]:
    """Create an exchange and the bank of the same name it fills: body
    `{"bank": NAME, "api": kind, "api_json": {...config}}`."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise HmaError(400, "Request input was not a dict")
    name, api_json, kind = body.get("bank"), body.get("api_json", {}), body.get("api")
    if name is None:
        raise HmaError(400, "bank is required")
    if not isinstance(name, str) or not _HMA_EXCHANGE_NAME.fullmatch(name):
        raise HmaError(400, "Field `bank` must match /^[A-Z0-9_]+$/")
    if not isinstance(api_json, dict):
        raise HmaError(400, "Field `api_json` must be object")
    if kind is None:
        raise HmaError(400, "Field `api_type` is required")
    if kind not in exchange_kinds():
        raise HmaError(400, f"No such exchange type '{kind}'")
    config = _config_from_hma(str(kind), api_json)
    enabled = api_json.get("enabled", True)
    actor = f"key:{key.prefix}"

    def create() -> None:
        try:
            exchange_class(kind).check_config(config)
        except BastionError as e:
            raise HmaError(400, f"Failed to parse `api_json` - {e.message}") from None
        if svc.store.find_bank(name) is not None:
            raise HmaError(403, "Bank already exists")
        svc.store.create_bank(name, actor=actor)
        try:
            svc.exchanges.add(
                name, kind=kind, bank=name, config=config, enabled=enabled is not False, actor=actor
            )
        except BaseException:
            svc.store.delete_bank(name, actor=actor)  # as if neither had been made
            raise

    await run_in_threadpool(create)
    return {"message": "Created successfully"}


@exchanges.get("/c/exchange/{exchange_name}")
def hma_exchange(
    exchange_name: str, svc: Services = Depends(services), _k: ApiKey = Depends(admin_key)
) -> dict[str, Any]:
    """The exchange as HMA shows its config: `{"name", "api", "enabled", ...api_json}`."""
    status = _exchange(svc, exchange_name)
    return {
        **_config_to_hma(status),
        "name": status.name,
        "api": status.kind,
        "enabled": status.enabled,
    }


@exchanges.get("/c/exchange/{exchange_name}/status")
def hma_exchange_status(
    exchange_name: str, svc: Services = Depends(services), _k: ApiKey = Depends(admin_key)
) -> dict[str, Any]:
    """Where the exchange's fetching stands, in HMA's fields."""
    status = _exchange(svc, exchange_name)
    finished = [t for t in (status.last_success_at, status.last_error_at) if t is not None]
    succeeded = (
        None
        if not finished
        else status.last_error_at is None
        or (status.last_success_at is not None and status.last_success_at > status.last_error_at)
    )
    return {
        "checkpoint_ts": _timestamp(status.last_success_at),
        "running_fetch_start_ts": _timestamp(status.last_started_at) if status.syncing else None,
        "last_fetch_complete_ts": _timestamp(max(finished)) if finished else None,
        "last_fetch_succeeded": succeeded,
        "up_to_date": bool(succeeded) and not status.syncing,
        "fetched_items": status.fetched,
    }


# Signal types and content types ----------------------------------------------------------


@exchanges.get("/c/signal_type")
def hma_signal_types(_k: ApiKey = Depends(curate_key)) -> list[dict[str, Any]]:
    """Every signal type bastion knows (plugins' included), each enabled."""
    return [{"name": name, "enabled_ratio": 1.0} for name in signal_types()]


@exchanges.get("/c/signal_type/index")
def hma_signal_type_index(
    signal_type: str | None = Query(None),
    svc: Services = Depends(services),
    _k: ApiKey = Depends(curate_key),
) -> dict[str, dict[str, Any]]:
    """Per signal type: the hashes banked and indexed (the same: bastion's index follows
    every change), never out of date."""
    names, built_to, counts = index_view(svc, signal_type)
    return {
        name: {
            "db_size": counts.get(name, 0),
            "index_size": counts.get(name, 0),
            "index_out_of_date": False,
            "newest_db_item": built_to,
            "index_built_to": built_to,
        }
        for name in names
    }


@exchanges.get("/c/content_type")
def hma_content_types(_k: ApiKey = Depends(curate_key)) -> list[dict[str, Any]]:
    return [{"name": name, "enabled": True} for name in CONTENT_TYPES]


__all__ = ["exchanges"]
