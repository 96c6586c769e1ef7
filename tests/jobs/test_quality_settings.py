"""A job's quality settings: consolidation method, gold rate and gold set, dynamic overlap;
through the job service, the API and the create page, with the bad input refused."""

from decimal import Decimal

import pytest
from django.urls import reverse

from jobs.models import GoldSet, LabelingJob
from jobs.services.jobs import job_create, job_update
from marketplace.exceptions import InvalidInput
from tests.jobs.api_support import create_body, requester_world
from tests.jobs.lifecycle import job_fields
from tests.jobs.test_pages_jobs import client_for, create_form
from tests.marketplace.api_support import session_client
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return requester_world()


def gold_set(organization, user, **fields) -> GoldSet:
    values = {
        "name": "animals",
        "task_type": "image-classification",
        "labels": ["cat", "dog"],
        **fields,
    }
    return GoldSet.objects.create(organization=organization, created_by=user, **values)


def create(world, **fields) -> LabelingJob:
    return job_create(actor=world.owner, organization=world.organization, **job_fields(**fields))


def refused(world, **fields) -> dict:
    before = database_snapshot()
    with pytest.raises(InvalidInput) as caught:
        create(world, **fields)
    assert database_snapshot() == before
    return caught.value.fields


def test_a_new_job_uses_dawid_skene_no_gold_and_fixed_overlap(world):
    job = create(world)

    assert job.consolidation_method == "dawid-skene"
    assert job.gold_rate == Decimal("0")
    assert (job.max_workers_per_object, job.target_confidence, job.dynamic_overlap) == (
        None,
        None,
        False,
    )


def test_the_settings_are_stored_normalized(world):
    animals = gold_set(world.organization, world.owner)

    job = create(
        world,
        consolidation_method="one-coin-dawid-skene",
        gold_rate="0.1",
        gold_set=animals.pk,
        workers_per_object=2,
        max_workers_per_object=5,
        target_confidence=0.95,
    )

    job.refresh_from_db()
    assert job.consolidation_method == "one-coin-dawid-skene"
    assert job.gold_rate == Decimal("0.100")
    assert job.gold_set == animals
    assert (job.workers_per_object, job.max_workers_per_object, job.target_confidence) == (
        2,
        5,
        0.95,
    )
    assert job.dynamic_overlap


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"consolidation_method": "median"}, "consolidation_method", "Choose one of"),
        ({"gold_rate": "0.6"}, "gold_rate", "from 0 to 0.5"),
        ({"gold_rate": "-0.1"}, "gold_rate", "from 0 to 0.5"),
        ({"gold_rate": "0.1234"}, "gold_rate", "3 decimal places"),
        ({"gold_rate": "ten"}, "gold_rate", "decimal fraction"),
        ({"gold_rate": True}, "gold_rate", "decimal fraction"),
        ({"target_confidence": 0.9}, "max_workers_per_object", "needs both"),
        ({"max_workers_per_object": 5}, "target_confidence", "needs both"),
        (
            {"workers_per_object": 3, "max_workers_per_object": 2, "target_confidence": 0.9},
            "max_workers_per_object",
            "Give 3 (workers_per_object) to 9",
        ),
        (
            {"max_workers_per_object": 12, "target_confidence": 0.9},
            "max_workers_per_object",
            "to 9",
        ),
        (
            {"max_workers_per_object": 5, "target_confidence": 1.0},
            "target_confidence",
            "below 1",
        ),
        (
            {"max_workers_per_object": 5, "target_confidence": 0.3},
            "target_confidence",
            "at least 0.5",
        ),
        ({"max_workers_per_object": 5, "target_confidence": "high"}, "target_confidence", "number"),
    ],
)
def test_bad_settings_are_refused_with_a_field_message_and_nothing_stored(
    world, fields, field, message
):
    problems = refused(world, **fields)

    assert field in problems
    assert message in " ".join(problems[field])


def test_a_gold_set_must_be_the_organizations_and_fit_the_task_type_and_labels(world):
    foreign = gold_set(world.other_organization, world.outsider)
    birds = gold_set(world.organization, world.owner, name="birds", labels=["crow", "gull"])
    texts = gold_set(world.organization, world.owner, name="texts", task_type="text-classification")

    assert "No such gold set" in refused(world, gold_set=foreign.pk)["gold_set"][0]
    assert "No such gold set" in refused(world, gold_set=999_999)["gold_set"][0]
    assert "must be the same" in refused(world, gold_set=birds.pk)["gold_set"][0]
    assert "must be the same" in refused(world, gold_set=texts.pk)["gold_set"][0]


def test_changing_a_drafts_labels_away_from_its_gold_set_is_refused(world):
    job = create(world, gold_set=gold_set(world.organization, world.owner).pk)

    with pytest.raises(InvalidInput) as caught:
        job_update(
            actor=world.owner,
            job=job,
            label_category_config={
                "document-version": "2018-11-28",
                "labels": [{"label": "crow"}, {"label": "gull"}],
            },
        )

    assert "gold_set" in caught.value.fields
    job.refresh_from_db()
    assert job.labels == ["cat", "dog"]


def test_the_api_takes_and_shows_the_settings(world):
    client = session_client(world.owner)
    body = create_body(
        world.organization,
        consolidation_method="majority-vote",
        gold_rate="0.05",
        max_workers_per_object=4,
        target_confidence=0.9,
    )

    response = client.post("/api/v1/jobs/", body, format="json")

    assert response.status_code == 201
    shown = response.json()
    assert (
        shown["consolidation_method"],
        shown["gold_rate"],
        shown["max_workers_per_object"],
        shown["target_confidence"],
        shown["gold_set"],
    ) == ("majority-vote", "0.050", 4, 0.9, None)


def test_the_api_refuses_a_gold_rate_over_half_and_creates_nothing(world):
    client = session_client(world.owner)

    response = client.post(
        "/api/v1/jobs/", create_body(world.organization, gold_rate="0.75"), format="json"
    )

    assert response.status_code == 400
    assert "gold_rate" in str(response.json())
    assert not LabelingJob.objects.exists()


def test_the_create_page_takes_the_quality_settings(world):
    client = client_for(world.owner)
    assert "Gold rate" in client.get(reverse("job_create")).content.decode()

    response = client.post(
        reverse("job_create"),
        create_form(
            consolidation_method="weighted-majority-vote",
            gold_rate="0.2",
            workers_per_object="2",
            max_workers_per_object="6",
            target_confidence="0.97",
        ),
    )

    assert response.status_code == 302
    job = LabelingJob.objects.get()
    assert (
        job.consolidation_method,
        job.gold_rate,
        job.max_workers_per_object,
        job.target_confidence,
    ) == ("weighted-majority-vote", Decimal("0.200"), 6, 0.97)


def test_the_create_page_names_a_bad_dynamic_overlap_field(world):
    response = client_for(world.owner).post(
        reverse("job_create"), create_form(workers_per_object="3", target_confidence="0.9")
    )

    assert response.status_code == 400
    assert "needs both" in response.content.decode()
    assert not LabelingJob.objects.exists()
