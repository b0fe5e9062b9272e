"""``client.inference_providers`` through both surfaces against the bundled server."""

from __future__ import annotations

import pytest

from avala import NotFoundError, ValidationError
from avala.models.inference_providers import InferenceProvider
from avala.testing import ServerHandle

from ._surface import Surface

ENDPOINT = {"endpoint_url": "https://models.example.com/detect", "timeout": 10}


async def test_inference_providers_lifecycle(api: Surface) -> None:
    providers = api.client.inference_providers
    seeded = await api.all(providers.list())
    assert len(seeded) >= 2 and all(isinstance(p, InferenceProvider) for p in seeded)
    assert {"http", "sagemaker"} <= {p.provider_type for p in seeded}

    created = await api(providers.create(name="Detector", provider_type="http", config=ENDPOINT))
    assert (created.name, created.config, created.is_active) == ("Detector", ENDPOINT, True)
    assert created.last_test_at is None and created.last_test_success is None
    assert await api(providers.get(created.uid)) == created
    first = await api.first_page(providers.list(limit=1))
    assert len(first.items) == 1 and first.has_more
    assert created.uid in [p.uid for p in await api.all(providers.list(limit=1))]

    report = await api(providers.test(created.uid))
    assert report["success"] is True and report["latency_ms"] > 0 and report["tested_at"]
    tested = await api(providers.get(created.uid))
    assert tested.last_test_success is True and tested.last_test_at is not None

    updated = await api(providers.update(created.uid, description="boxes", is_active=False))
    assert (updated.description, updated.is_active) == ("boxes", False)
    assert updated.config == ENDPOINT and updated.name == "Detector"  # the rest is kept
    report = await api(providers.test(created.uid))
    assert report["success"] is False and "inactive" in report["message"]
    assert (await api(providers.get(created.uid))).last_test_success is False

    assert await api(providers.delete(created.uid)) is None
    with pytest.raises(NotFoundError):
        await api(providers.get(created.uid))
    with pytest.raises(NotFoundError):
        await api(providers.delete(created.uid))


async def test_sagemaker_test_needs_its_settings(api: Surface) -> None:
    providers = api.client.inference_providers
    made = await api(
        providers.create(name="SM", provider_type="sagemaker", config={"endpoint_name": "seg"})
    )
    report = await api(providers.test(made.uid))
    assert report["success"] is False and "region" in report["message"]
    await api(providers.update(made.uid, config={"endpoint_name": "seg", "region": "eu-west-1"}))
    assert (await api(providers.test(made.uid)))["success"] is True
    await api(providers.delete(made.uid))


async def test_project_is_served_as_given(api: Surface, local_env: ServerHandle) -> None:
    providers = api.client.inference_providers
    made = await api(
        providers.create(name="Int", provider_type="http", config=ENDPOINT, project=42)
    )
    assert made.project == "42"  # the model keeps it as text
    stored = local_env.state.store.get("inference_providers", made.uid)
    assert isinstance(stored, dict) and stored["project"] == 42  # served as the integer given
    text = await api(providers.update(made.uid, project="p-uid"))
    assert text.project == "p-uid"
    await api(providers.delete(made.uid))


async def test_inference_providers_validation(api: Surface) -> None:
    providers = api.client.inference_providers
    with pytest.raises(ValidationError) as caught:
        await api(providers.create(name="", provider_type="http", config={}))
    assert caught.value.errors == {"name": ["This field may not be blank."]}
    with pytest.raises(ValidationError) as caught:
        await api(providers.create(name="x" * 256, provider_type="http", config={}))
    assert list(caught.value.errors) == ["name"]
    with pytest.raises(ValidationError) as caught:
        await api(providers.create(name="x", provider_type="http", config="url"))
    assert list(caught.value.errors) == ["config"]
    with pytest.raises(ValidationError) as caught:
        await api(providers.create(name="x", provider_type="http", config={}, project=[1]))
    assert list(caught.value.errors) == ["project"]
