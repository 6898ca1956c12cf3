"""API v1: triage. The policy in force and the feedback loop's numbers (scope `review`: rules
and counts, never content), and the outside services (scope `admin`: they hold credentials,
which are write-only: accepted, stored encrypted, never returned)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from pydantic import BaseModel, Field

from bastion.auth import ApiKey, Scope
from bastion.review.assessment import decided_findings
from bastion.triage.evaluate import Tally, evaluate
from bastion.triage.outside.store import ServiceConfig, ServiceInfo
from bastion.web.inputs import api_router
from bastion.web.schemas import PROBLEM_RESPONSES
from bastion.web.security import require
from bastion.web.services import Services, services

router = api_router(prefix="/api/v1/triage", tags=["triage"], responses=PROBLEM_RESPONSES)
admin = require(Scope.ADMIN)
reviewing = require(Scope.REVIEW)
ServiceName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class RuleModel(BaseModel):
    rule: str = Field(examples=["classifier:*/nsfw >= 0.9 -> high"])
    signal: str
    source: str | None = Field(description="None: any.")
    label: str | None = Field(description="None: any.")
    op: str | None
    threshold: float | None
    effect: str = Field(examples=["sets high", "raises 1"])


class TallyModel(BaseModel):
    jobs: int
    confirmed: int = Field(description="Confirmed or reported.")
    precision: float | None
    interval: tuple[float, float] | None = Field(description="Wilson's 95% interval.")

    @classmethod
    def of(cls, tally: Tally) -> TallyModel:
        return cls(
            jobs=tally.jobs,
            confirmed=tally.confirmed,
            precision=tally.precision,
            interval=tally.interval(),
        )


class SignalTallyModel(BaseModel):
    signal: str
    source: str
    label: str
    op: str | None = Field(description="`>=` a score or count, `<=` a distance; None: any.")
    threshold: float | None
    tally: TallyModel


class RuleTallyModel(BaseModel):
    rule: str
    tally: TallyModel


class EvaluationModel(BaseModel):
    decided: int
    confirmed: int
    escalated: int = Field(description="Escalations: not final, not counted.")
    unassessed: int = Field(description="Decided jobs opened before triage.")
    signals: list[SignalTallyModel]
    rules: list[RuleTallyModel]


class ServiceCreate(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: str = Field(max_length=32, examples=["photodna", "arachnid", "google_csai"])
    url: str | None = Field(
        default=None, max_length=2000, description="Default: the service's own address."
    )
    credentials: dict[str, str] = Field(description="Stored encrypted; never returned.")
    rate_per_second: float = Field(default=1.0, gt=0, le=10_000)
    burst: int = Field(default=5, ge=1, le=10_000)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    enabled: bool = True
    options: dict[str, str] = Field(default_factory=dict, examples=[{"send": "pdq"}])


class ServiceUpdate(BaseModel):
    enabled: bool | None = None
    credentials: dict[str, str] | None = Field(
        default=None, description="Replaces the stored credentials; never returned."
    )


class ServiceModel(BaseModel):
    name: str
    kind: str
    url: str
    rate_per_second: float
    burst: int
    timeout_seconds: float
    enabled: bool
    options: dict[str, Any]
    credential_names: list[str] = Field(description="Which credentials are set (not their values).")

    @classmethod
    def of(cls, info: ServiceInfo) -> ServiceModel:
        return cls(**{**vars(info), "credential_names": list(info.credential_names)})


@router.get("/rules", response_model=list[RuleModel])
def rules(svc: Services = Depends(services), _k: ApiKey = Depends(reviewing)) -> list[RuleModel]:
    """The triage policy in force (`triage_rules`), in order."""
    return [
        RuleModel(
            rule=r.text,
            signal=r.kind.value,
            source=r.source,
            label=r.label,
            op=r.op,
            threshold=r.threshold,
            effect=r.effect,
        )
        for r in svc.policy.rules
    ]


@router.get("/evaluation", response_model=EvaluationModel)
def evaluation(
    svc: Services = Depends(services), _k: ApiKey = Depends(reviewing)
) -> EvaluationModel:
    """How often each signal, at each threshold, and each rule led to a confirmed decision on
    this platform's decided jobs (`bastion triage evaluate`)."""
    with svc.db.session() as s:
        found = evaluate(decided_findings(s), svc.policy)
    return EvaluationModel(
        decided=found.decided,
        confirmed=found.confirmed,
        escalated=found.escalated,
        unassessed=found.unassessed,
        signals=[
            SignalTallyModel(
                signal=r.kind.value,
                source=r.source,
                label=r.label,
                op=r.op,
                threshold=r.threshold,
                tally=TallyModel.of(r.tally),
            )
            for r in found.signals
        ],
        rules=[RuleTallyModel(rule=r.rule, tally=TallyModel.of(r.tally)) for r in found.rules],
    )


@router.get("/services", response_model=list[ServiceModel])
def list_services(
    svc: Services = Depends(services), _k: ApiKey = Depends(admin)
) -> list[ServiceModel]:
    return [ServiceModel.of(s) for s in svc.services.all()]


@router.post("/services", response_model=ServiceModel, status_code=201)
def create_service(
    body: ServiceCreate, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> ServiceModel:
    """Configure an outside service that triage asks about checked content."""
    from bastion.triage.outside.registry import service_class

    url = body.url or str(getattr(service_class(body.kind), "default_url", ""))
    config = ServiceConfig(
        body.name,
        body.kind,
        url,
        body.rate_per_second,
        body.burst,
        body.timeout_seconds,
        body.enabled,
        dict(body.options),
        dict(body.credentials),
    )
    return ServiceModel.of(svc.services.add(config, actor=f"key:{key.prefix}"))


@router.patch("/services/{name}", response_model=ServiceModel)
def update_service(
    name: ServiceName,
    body: ServiceUpdate,
    svc: Services = Depends(services),
    key: ApiKey = Depends(admin),
) -> ServiceModel:
    info = svc.services.get(name)
    actor = f"key:{key.prefix}"
    if body.credentials is not None:
        info = svc.services.set_credentials(name, body.credentials, actor=actor)
    if body.enabled is not None:
        info = svc.services.set_enabled(name, body.enabled, actor=actor)
    return ServiceModel.of(info)


@router.delete("/services/{name}", status_code=204)
def delete_service(
    name: ServiceName, svc: Services = Depends(services), key: ApiKey = Depends(admin)
) -> None:
    svc.services.remove(name, actor=f"key:{key.prefix}")
