"""The gold API and pages: a job's gold (add one, many or JSON Lines; list with per-gold
figures; deactivate), gold sets and their questions; bad input is a 400 naming the field
and changes nothing; other organizations' gold is a 404."""

import pytest
from django.test import Client
from django.urls import reverse

from jobs.models import HIT, GoldQuestion, GoldSet, HITStatus
from jobs.services.gold import gold_answer_score
from tests.jobs.api_support import requester_world
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.gold_support import claim_and_submit, gold_due, gold_item
from tests.jobs.lifecycle import requester_of, workers
from tests.marketplace.api_support import (
    NOT_FOUND,
    error,
    iso,
    key_client,
    session_client,
    snapshot,
)

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


@pytest.fixture
def world():
    return requester_world()


@pytest.fixture
def client(world):
    return session_client(world.owner)


def gold_body(question, *, answered=0, correct=None) -> dict:
    question.refresh_from_db()
    return {
        "id": question.pk,
        "job": question.job_id,
        "gold_set": question.gold_set_id,
        "data": question.data,
        "answer": question.expected_answer,
        "tolerance": question.tolerance,
        "active": question.active,
        "created_at": iso(question.created_at),
        "times_answered": answered,
        "share_correct": correct,
    }


def running(world, **kwargs):
    from jobs.services.jobs import job_launch

    job = LabelingJobFactory(organization=world.organization, workers_per_object=1, **kwargs)
    DataObjectFactory.create_batch(2, job=job)
    return job_launch(actor=requester_of(world.organization), job=job)


# A job's gold.


def test_add_one_and_many_and_list_them_with_their_figures(world, client):
    job = running(world, gold_rate="0.2")
    url = f"/api/v1/jobs/{job.pk}/gold/"

    one = client.post(url, gold_item(0), format="json")
    many = client.post(url, [gold_item(1, label="dog"), gold_item(2)], format="json")

    assert one.status_code == 201
    assert many.status_code == 201
    questions = list(GoldQuestion.objects.order_by("id"))
    assert one.json() == [gold_body(questions[0])]
    assert many.json() == [gold_body(questions[1]), gold_body(questions[2])]
    assert HIT.objects.filter(job=job, is_gold=True).count() == 3

    worker = workers(1)[0]
    gold_due(job=job, worker=worker)
    answered = claim_and_submit(job=job, worker=worker, label="dog")
    gold_answer_score(assignment_id=answered.pk)
    listed = client.get(url)

    assert listed.status_code == 200
    assert listed.json()["results"] == [
        gold_body(questions[0], answered=1, correct=0.0),
        gold_body(questions[1]),
        gold_body(questions[2]),
    ]
    detail = client.get(f"{url}{questions[0].pk}/")
    assert detail.json() == gold_body(questions[0], answered=1, correct=0.0)


def test_add_as_json_lines_with_an_api_key(world):
    job = LabelingJobFactory(organization=world.organization)
    lines = b'{"data": {"source-ref": "https://e.com/a.png"}, "answer": {"label": "cat"}}\n\n'
    lines += b'{"data": {"source-ref": "https://e.com/b.png"}, "answer": {"label": "bird"}}\n'

    response = key_client(world.raw_key).post(
        f"/api/v1/jobs/{job.pk}/gold/", data=lines, content_type="application/x-ndjson"
    )

    assert response.status_code == 201
    assert [item["answer"] for item in response.json()] == [{"label": "cat"}, {"label": "bird"}]
    assert not HIT.objects.filter(job=job).exists()  # a draft places gold at launch


def test_bad_gold_is_a_400_naming_each_field_and_stores_nothing(world, client):
    job = running(world)
    before = snapshot()

    response = client.post(
        f"/api/v1/jobs/{job.pk}/gold/",
        [
            gold_item(0),
            {"data": {"source-ref": "https://e.com/x.png"}, "answer": {"label": "zebra"}},
            {"data": {"source-ref": "javascript:alert(1)"}, "answer": {"label": "cat"}, "x": 1},
            {
                "data": {"source-ref": "https://e.com/y.png"},
                "answer": {"label": "cat"},
                "tolerance": 1,
            },
        ],
        format="json",
    )
    lines = client.post(
        f"/api/v1/jobs/{job.pk}/gold/", data=b"{not json\n", content_type="application/x-ndjson"
    )

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert sorted(fields) == [
        "gold[1].answer.label",
        "gold[2].data",
        "gold[2].x",
        "gold[3].tolerance",
    ]
    assert fields["gold[1].answer.label"] == ['"zebra" is not one of the job\'s labels.']
    assert lines.status_code == 400
    assert lines.json()["fields"] == {"gold": ["line 1: not valid JSON."]}
    assert snapshot() == before


def test_deactivate_stops_serving_and_is_idempotent(world, client):
    job = running(world, gold_rate="0.2")
    client.post(f"/api/v1/jobs/{job.pk}/gold/", gold_item(0), format="json")
    question = GoldQuestion.objects.get()
    url = f"/api/v1/jobs/{job.pk}/gold/{question.pk}/"

    first = client.delete(url)
    again = client.delete(url)

    assert first.status_code == again.status_code == 200
    assert first.json()["active"] is False
    assert again.json() == first.json()
    assert HIT.objects.get(job=job, is_gold=True).status == HITStatus.DISPOSED


def test_other_organizations_gold_is_a_404(world):
    job = running(world)
    LabelingJobFactory(organization=world.organization)
    outsider = session_client(world.outsider)
    owner = session_client(world.owner)
    owner.post(f"/api/v1/jobs/{job.pk}/gold/", gold_item(0), format="json")
    question = GoldQuestion.objects.get()
    other_job = LabelingJobFactory(organization=world.other_organization)
    before = snapshot()

    responses = [
        outsider.get(f"/api/v1/jobs/{job.pk}/gold/"),
        outsider.post(f"/api/v1/jobs/{job.pk}/gold/", gold_item(1), format="json"),
        outsider.get(f"/api/v1/jobs/{job.pk}/gold/{question.pk}/"),
        outsider.delete(f"/api/v1/jobs/{job.pk}/gold/{question.pk}/"),
    ]
    responses.append(owner.get(f"/api/v1/jobs/{other_job.pk}/gold/{question.pk}/"))

    assert [response.status_code for response in responses] == [404] * 5
    assert all(response.json() == NOT_FOUND for response in responses)
    assert snapshot() == before


def test_workers_cannot_reach_the_gold_api(world):
    job = running(world)
    worker = workers(1)[0]

    response = session_client(worker.user).get(f"/api/v1/jobs/{job.pk}/gold/")

    assert response.status_code == 404


# Gold sets.


def set_body(world, **overrides) -> dict:
    body = {
        "organization": world.organization.pk,
        "name": "Animals",
        "task_type": "image-classification",
        "labels": ["cat", "dog", "bird"],
    }
    body.update(overrides)
    return body


def test_gold_set_create_list_add_and_delete(world, client):
    created = client.post("/api/v1/gold-sets/", set_body(world), format="json")

    assert created.status_code == 201
    gold_set = GoldSet.objects.get()
    expected = {
        "id": gold_set.pk,
        "organization": world.organization.pk,
        "name": "Animals",
        "task_type": "image-classification",
        "labels": ["cat", "dog", "bird"],
        "question_count": 0,
        "job_count": 0,
        "created_at": iso(gold_set.created_at),
    }
    assert created.json() == expected
    added = client.post(
        f"/api/v1/gold-sets/{gold_set.pk}/questions/", [gold_item(0)], format="json"
    )
    assert added.status_code == 201
    question = GoldQuestion.objects.get()
    assert added.json() == [gold_body(question)]
    assert client.get("/api/v1/gold-sets/").json()["results"] == [{**expected, "question_count": 1}]
    assert client.get(f"/api/v1/gold-sets/{gold_set.pk}/questions/").json()["results"] == [
        gold_body(question)
    ]
    question_url = f"/api/v1/gold-sets/{gold_set.pk}/questions/{question.pk}/"
    assert client.delete(question_url).json()["active"] is False
    assert client.delete(f"/api/v1/gold-sets/{gold_set.pk}/").status_code == 204
    assert not GoldSet.objects.exists()


def test_a_used_gold_set_cannot_be_deleted(world, client):
    client.post("/api/v1/gold-sets/", set_body(world), format="json")
    gold_set = GoldSet.objects.get()
    LabelingJobFactory(organization=world.organization, gold_set=gold_set)

    response = client.delete(f"/api/v1/gold-sets/{gold_set.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "gold_set_in_use"
    assert GoldSet.objects.exists()


def test_bad_gold_sets_and_other_organizations_sets(world, client):
    before = snapshot()
    bad = client.post("/api/v1/gold-sets/", set_body(world, labels=["cat"], extra=1), format="json")
    foreign = client.post(
        "/api/v1/gold-sets/",
        set_body(world, organization=world.other_organization.pk),
        format="json",
    )

    assert bad.status_code == 400
    assert bad.json() == error("invalid", INVALID, {"extra": ["Unknown field."]})
    assert foreign.status_code == 404
    assert snapshot() == before
    session_client(world.outsider).post(
        "/api/v1/gold-sets/",
        set_body(world, organization=world.other_organization.pk),
        format="json",
    )
    theirs = GoldSet.objects.get()
    assert client.get(f"/api/v1/gold-sets/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/gold-sets/{theirs.pk}/questions/").status_code == 404
    assert (
        client.post(
            f"/api/v1/gold-sets/{theirs.pk}/questions/", [gold_item(0)], format="json"
        ).status_code
        == 404
    )
    assert client.get("/api/v1/gold-sets/").json()["results"] == []


def test_a_job_naming_another_organizations_gold_set_is_refused(world, client):
    session_client(world.outsider).post(
        "/api/v1/gold-sets/",
        set_body(world, organization=world.other_organization.pk),
        format="json",
    )
    theirs = GoldSet.objects.get()
    job = LabelingJobFactory(organization=world.organization)

    response = client.patch(f"/api/v1/jobs/{job.pk}/", {"gold_set": theirs.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "gold_set": ["No such gold set in the job's organization."]
    }
    job.refresh_from_db()
    assert job.gold_set_id is None


# Pages.


def test_the_job_gold_page_adds_lists_and_shows_worker_accuracy(world):
    job = running(world, gold_rate="0.2")
    browser = Client()
    browser.force_login(world.owner)
    url = reverse("job_gold", args=[job.pk])

    bad = browser.post(
        url,
        {"gold": '[{"data": {"source-ref": "https://e.com/a.png"}, "answer": {"label": "zebra"}}]'},
    )
    added = browser.post(
        url,
        {
            "gold": '{"data": {"source-ref": "https://e.com/a.png"}, "answer": {"label": "cat"}}\n'
            '{"data": {"source-ref": "https://e.com/b.png"}, "answer": {"label": "dog"}}'
        },
    )
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)
    answered = claim_and_submit(job=job, worker=worker, label="cat")
    gold_answer_score(assignment_id=answered.pk)
    page = browser.get(url)

    assert bad.status_code == 400
    assert "gold[0].answer.label" in bad.content.decode()
    assert added.status_code == 302
    assert GoldQuestion.objects.filter(job=job).count() == 2
    assert page.status_code == 200
    text = page.content.decode()
    assert worker.worker_id in text
    assert "100%" in text
    assert (
        reverse("job_gold", args=[job.pk])
        in browser.get(reverse("job_detail", args=[job.pk])).content.decode()
    )
    question = GoldQuestion.objects.filter(job=job).first()
    deactivated = browser.post(reverse("job_gold_deactivate", args=[job.pk, question.pk]))
    assert deactivated.status_code == 302
    question.refresh_from_db()
    assert not question.active


def test_the_gold_set_pages_create_and_add(world):
    browser = Client()
    browser.force_login(world.owner)

    created = browser.post(
        reverse("gold_sets"),
        {
            "organization": world.organization.pk,
            "name": "Animals",
            "task_type": "image-classification",
            "labels": "cat, dog",
        },
    )
    gold_set = GoldSet.objects.get()
    added = browser.post(
        reverse("gold_set_detail", args=[gold_set.pk]),
        {"gold": '{"data": {"source-ref": "https://e.com/a.png"}, "answer": {"label": "dog"}}'},
    )

    assert created.status_code == 302
    assert gold_set.labels == ["cat", "dog"]
    assert added.status_code == 302
    assert GoldQuestion.objects.filter(gold_set=gold_set).count() == 1
    assert "Animals" in browser.get(reverse("gold_sets")).content.decode()
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(reverse("gold_set_detail", args=[gold_set.pk])).status_code == 404
    assert (
        outsider.get(
            reverse("job_gold", args=[LabelingJobFactory(organization=world.organization).pk])
        ).status_code
        == 404
    )
