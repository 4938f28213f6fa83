"""The deployment files (deploy/) parse, name only settings the gateway has (with values it accepts), set
the production defaults (METRICS_TOKEN, COOKIE_SECURE), probe routes that exist, and give the drain the
time it needs. No container runtime runs here; the same topology runs as processes in tests/reliability."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from handoff import settings as settings_mod
from handoff.settings import Settings, exposure_warnings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {f.name.upper() for f in fields(Settings)}
# Read by what runs inside the image, not by handoff.settings.
RUNTIME_NAMES = {"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "RASA_TELEMETRY_ENABLED", "TF_CPP_MIN_LOG_LEVEL",
                 "TOKENIZERS_PARALLELISM", "PIP_DISABLE_PIP_VERSION_CHECK"}


def k8s_docs() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in k8s_docs() if d["kind"] == kind]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def containerfile_env() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / "Containerfile").read_text().replace("\\\n", " ").splitlines():
        if line.startswith("ENV "):
            out.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return out


def gateway_env_k8s() -> dict[str, str]:
    config = next(d for d in by_kind("ConfigMap") if d["metadata"]["name"] == "tandem-gateway")
    secret = next(d for d in by_kind("Secret") if d["metadata"]["name"] == "tandem-gateway")
    return {**config["data"], **secret["stringData"]}


def gateway_env_compose() -> dict[str, str]:
    env = compose()["services"]["gateway"]["environment"]
    # ${VAR:?...} is the operator's to give: stand in a value, as compose would refuse to start without one.
    return {k: re.sub(r"\$\{(\w+)[^}]*\}", r"given-\1", str(v)) for k, v in env.items()}


@pytest.mark.parametrize("where, env", [("k8s ConfigMap + Secret", gateway_env_k8s),
                                        ("compose gateway", gateway_env_compose),
                                        ("Containerfile ENV", containerfile_env)])
def test_every_variable_is_a_setting_and_its_value_is_accepted(where: str, env: Any) -> None:
    values = env()
    unknown = set(values) - SETTING_NAMES - RUNTIME_NAMES
    assert not unknown, f"{where} sets {sorted(unknown)}, which no setting reads (handoff/settings.py)"
    settings_mod.load(env={k: v for k, v in values.items() if k in SETTING_NAMES}, dotenv=Path("/nonexistent"))


@pytest.mark.parametrize("env", [gateway_env_k8s, gateway_env_compose])
def test_the_public_gateway_sets_a_metrics_token_and_a_secure_cookie_and_its_sentinels(env: Any) -> None:
    cfg: Settings = settings_mod.load(env=env(), dotenv=Path("/nonexistent"))
    assert cfg.host == "0.0.0.0" and exposure_warnings(cfg) == []  # METRICS_TOKEN and COOKIE_SECURE both set
    assert cfg.redis_sentinels and cfg.redis_wait_replicas == 1 and cfg.proxies_count == 1 and not cfg.demo


def test_probes_name_routes_the_gateway_serves_and_the_drain_fits_in_the_grace_period() -> None:
    routes = set(re.findall(r'@bp\.get\("([^"]+)"\)', "".join(
        p.read_text() for p in (ROOT / "handoff" / "gateway").glob("*.py"))))
    deployment = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "tandem-gateway")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] in routes, probe
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    drain = float(gateway_env_k8s()["DRAIN_TIMEOUT_S"])
    assert pod["terminationGracePeriodSeconds"] > drain + pre_stop
    assert int(compose()["services"]["gateway"]["stop_grace_period"].rstrip("s")) > float(
        gateway_env_compose()["DRAIN_TIMEOUT_S"])
    requests = container["resources"]["requests"]
    assert requests["cpu"] and requests["memory"].endswith("Mi")


def test_every_deployment_has_a_service_and_a_disruption_budget() -> None:
    for deployment in by_kind("Deployment"):
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert any(s["spec"]["selector"] == labels for s in by_kind("Service")), deployment["metadata"]["name"]
        assert any(p["spec"]["selector"]["matchLabels"] == labels for p in by_kind("PodDisruptionBudget"))


def test_compose_runs_gateways_behind_a_balancer_with_a_replica_and_three_sentinels() -> None:
    services = compose()["services"]
    assert services["gateway"]["deploy"]["replicas"] >= 2
    assert "--replicaof" in services["redis-replica"]["command"]
    sentinels = [name for name in services if name.startswith("sentinel-")]
    assert len(sentinels) == 3
    assert set(gateway_env_compose()["REDIS_SENTINELS"].replace(":26379", "").split(",")) == set(sentinels)
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "server gateway:8000" in nginx and "Upgrade $http_upgrade" in nginx and "http_503" in nginx


def test_the_image_copies_only_what_the_repository_has_or_make_train_builds() -> None:
    copies = re.findall(r"^COPY (.+) \S+$", (DEPLOY / "Containerfile").read_text(), re.MULTILINE)
    sources = [src for line in copies for src in line.split()]
    missing = [s for s in sources if not (ROOT / s).exists() and s != "models/rasa/"]
    assert not missing, missing
