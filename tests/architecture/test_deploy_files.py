"""docker-compose.yml cannot be run here (no Docker engine), so it is checked by reading it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_shape():
    services = compose()["services"]
    assert {"app", "postgres", "redis", "rasa"} <= set(services)
    assert services["rasa"]["profiles"] == ["rasa"]
    app = services["app"]
    assert set(app["depends_on"]) == {"postgres", "redis"}
    assert app["environment"]["HELPLINE_ENV"] == "production"
    assert app["environment"]["HELPLINE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert app["environment"]["HELPLINE_REDIS_URL"].startswith("redis://redis:")


def test_compose_app_settings_are_real_settings():
    fields = {f"HELPLINE_{name.upper()}" for name in Settings.model_fields}
    unknown = set(compose()["services"]["app"]["environment"]) - fields
    assert unknown == set()


def test_compose_database_url_points_at_its_postgres_service():
    services = compose()["services"]
    url = services["app"]["environment"]["HELPLINE_DATABASE_URL"]
    match = re.match(r"postgresql\+asyncpg://(\w+):.*@postgres:5432/(\w+)", url)
    assert match
    assert match.group(1) == services["postgres"]["environment"]["POSTGRES_USER"]
    assert match.group(2) == services["postgres"]["environment"]["POSTGRES_DB"]


def test_compose_rasa_trains_on_the_projects_nlu_data():
    rasa = compose()["services"]["rasa"]
    assert any(volume.startswith("./nlu/data:") for volume in rasa["volumes"])
    mounted = [volume.split(":")[0] for volume in rasa["volumes"]]
    for path in mounted:
        assert (ROOT / path).exists(), f"{path} is mounted into rasa but missing"


def test_dockerfile_copies_every_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("bot", "nlu", "flows", "escalation", "store"):
        assert f"COPY {package} {package}" in dockerfile


def test_compose_rasa_never_trains_on_the_held_out_set():
    command = " ".join(compose()["services"]["rasa"]["command"])
    assert "cp /app/nlu/data/*.yml" in command  # top-level files only: not nlu/data/test/
    assert "--nlu /app/nlu/data " not in command


def test_compose_rasa_trains_on_topic_files_and_leaves_out_every_risk_file():
    """Rasa learns topics; a risk file in its training would teach it a second label axis."""
    import fnmatch
    import re

    from nlu.data_io import RISK_PREFIX, parse_rasa_yaml, training_files

    command = " ".join(compose()["services"]["rasa"]["command"])
    removed = re.findall(r"rm -f /tmp/train/(\S+)", command)
    assert removed
    for path in training_files():
        intents = {e.intent for e in parse_rasa_yaml(path.read_text(encoding="utf-8"))}
        is_risk_file = all(i.startswith(RISK_PREFIX) for i in intents)
        left_out = any(fnmatch.fnmatch(path.name, pattern) for pattern in removed)
        assert left_out == is_risk_file, path.name
