"""Requesters' API for gold questions: a job's gold (list with per-gold figures, add,
deactivate) and organization gold sets with their questions. Never reachable by workers."""

import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.jobs import CreationOrderPagination
from jobs.api.serializers import JSONL, MAX_DATABASE_INTEGER, NDJSON, upload_error_responses
from jobs.models import LabelingJob
from jobs.selectors import job_access
from jobs.services.gold import (
    gold_add,
    gold_deactivate,
    gold_lines_parse,
    gold_set_access,
    gold_set_add,
    gold_set_create,
    gold_set_delete,
    gold_set_list,
    gold_set_question_access,
    gold_set_question_list,
    job_gold_access,
    job_gold_list,
)
from jobs.tasktypes import task_type_choices
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import StrictInputSerializer, error_responses
from marketplace.selectors import organization_access

ADD_DESCRIPTION = (
    "Add gold questions: one object, a JSON list of them, or JSON Lines (Content-Type "
    f"{NDJSON} or {JSONL}), each {{data: <manifest line>, answer: <expected answer>, "
    "tolerance?: number}}. The data and answer are checked against the task type and "
    'labels; any bad item refuses all, named by its index ("gold[3].answer.label"), and '
    "nothing is stored."
)


# Output.


class GoldQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id", allow_null=True)
    gold_set = serializers.IntegerField(source="gold_set_id", allow_null=True)
    data = serializers.DictField(help_text="The object, as a manifest line.")
    answer = serializers.JSONField(source="expected_answer", help_text="The expected answer.")
    tolerance = serializers.FloatField(allow_null=True)
    active = serializers.BooleanField(help_text="Inactive gold is no longer served.")
    created_at = serializers.DateTimeField()
    times_answered = serializers.IntegerField(help_text="Scored answers (in this job).")
    share_correct = serializers.SerializerMethodField(
        help_text="The share of scored answers that were correct; null before any."
    )

    def get_share_correct(self, question) -> float | None:
        answered = getattr(question, "times_answered", 0)
        return round(question.times_correct / answered, 4) if answered else None


class GoldSetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.IntegerField(source="organization_id")
    name = serializers.CharField()
    task_type = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    question_count = serializers.IntegerField(help_text="Active questions.")
    job_count = serializers.IntegerField(help_text="Jobs drawing gold from the set.")
    created_at = serializers.DateTimeField()


# Input (documentation: the service checks the items against the task type).


class GoldItemSerializer(StrictInputSerializer):
    data = serializers.DictField(help_text="The object, as a manifest line.")
    answer = serializers.JSONField(help_text='The expected answer, e.g. {"label": "cat"}.')
    tolerance = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="For task types that compare with one (not classification).",
    )


def _items(request):
    """The request's gold items: JSON Lines, or the JSON body (an object or a list)."""
    media_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if media_type in (NDJSON, JSONL):
        return gold_lines_parse(request.stream or io.BytesIO())
    return request.data


def _created(questions) -> Response:
    for question in questions:
        question.times_answered = question.times_correct = 0
    return Response(
        GoldQuestionSerializer(questions, many=True).data, status=status.HTTP_201_CREATED
    )


ADD_REQUEST = {
    "application/json": GoldItemSerializer(many=True),
    NDJSON: OpenApiTypes.BINARY,
    JSONL: OpenApiTypes.BINARY,
}


# A job's gold.


def _job(request, job_id) -> LabelingJob:
    return job_access(actor=request.user, job_id=job_id, only=request_bound_organization(request))


class JobGoldListApi(APIView):
    pagination_class = CreationOrderPagination

    @extend_schema(
        operation_id="jobs_gold_list",
        description="The job's gold (its own and its gold set's), oldest first, with how "
        "often each was answered in the job and the share answered correctly.",
        responses={200: GoldQuestionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=job_gold_list(job=_job(request, job_id)),
            serializer_class=GoldQuestionSerializer,
        )

    @extend_schema(
        operation_id="jobs_gold_create",
        description=ADD_DESCRIPTION + " A draft job places its gold at launch; a running "
        "or paused job at once.",
        request=ADD_REQUEST,
        responses={
            201: GoldQuestionSerializer(many=True),
            **upload_error_responses(400, 404, 409),
        },
    )
    def post(self, request, job_id: int):
        items = _items(request)
        job = _job(request, job_id)
        return _created(gold_add(actor=request.user, job=job, items=items))


class JobGoldDetailApi(APIView):
    @extend_schema(
        operation_id="jobs_gold_retrieve",
        responses={200: GoldQuestionSerializer, **error_responses(404)},
    )
    def get(self, request, job_id: int, gold_id: int):
        question = job_gold_access(job=_job(request, job_id), gold_id=gold_id)
        return Response(GoldQuestionSerializer(question).data)

    @extend_schema(
        operation_id="jobs_gold_destroy",
        description="Deactivate the gold question (for good): it is no longer served, in "
        "this job or, for a gold set's question, in any job. Answers and scores stay. "
        "Deactivating it again changes nothing.",
        request=None,
        responses={200: GoldQuestionSerializer, **error_responses(404)},
    )
    def delete(self, request, job_id: int, gold_id: int):
        job = _job(request, job_id)
        gold_deactivate(actor=request.user, question=job_gold_access(job=job, gold_id=gold_id))
        return Response(GoldQuestionSerializer(job_gold_access(job=job, gold_id=gold_id)).data)


# Gold sets.


def _gold_set(request, gold_set_id):
    return gold_set_access(
        actor=request.user, gold_set_id=gold_set_id, only=request_bound_organization(request)
    )


class GoldSetListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        organization = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_INTEGER)
        name = serializers.CharField(max_length=100, help_text="Unique in the organization.")
        task_type = serializers.ChoiceField(choices=task_type_choices())
        labels = serializers.ListField(
            child=serializers.CharField(), help_text="The label names, in the jobs' order."
        )

    @extend_schema(
        operation_id="gold_sets_list",
        responses={200: GoldSetSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        return paginated_response(
            view=self,
            request=request,
            queryset=gold_set_list(actor=request.user, only=request_bound_organization(request)),
            serializer_class=GoldSetSerializer,
        )

    @extend_schema(
        operation_id="gold_sets_create",
        description="Create an organization gold set for one task type and label list; a "
        "job of that type and labels may then name it as its gold_set.",
        request=InputSerializer,
        responses={201: GoldSetSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        organization, _membership = organization_access(
            actor=request.user,
            organization_id=fields.pop("organization"),
            only=request_bound_organization(request),
        )
        created = gold_set_create(actor=request.user, organization=organization, **fields)
        return Response(
            GoldSetSerializer(_gold_set(request, created.pk)).data, status=status.HTTP_201_CREATED
        )


class GoldSetDetailApi(APIView):
    @extend_schema(
        operation_id="gold_sets_retrieve",
        responses={200: GoldSetSerializer, **error_responses(404)},
    )
    def get(self, request, gold_set_id: int):
        return Response(GoldSetSerializer(_gold_set(request, gold_set_id)).data)

    @extend_schema(
        operation_id="gold_sets_destroy",
        description="Delete a gold set and its questions; 409 while a job uses it.",
        request=None,
        responses={204: None, **error_responses(404, 409)},
    )
    def delete(self, request, gold_set_id: int):
        gold_set_delete(actor=request.user, gold_set=_gold_set(request, gold_set_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoldSetQuestionListApi(APIView):
    pagination_class = CreationOrderPagination

    @extend_schema(
        operation_id="gold_sets_questions_list",
        description="The set's questions, oldest first, with their answers in every job.",
        responses={200: GoldQuestionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, gold_set_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=gold_set_question_list(gold_set=_gold_set(request, gold_set_id)),
            serializer_class=GoldQuestionSerializer,
        )

    @extend_schema(
        operation_id="gold_sets_questions_create",
        description=ADD_DESCRIPTION + " Running jobs drawing on the set place them at once.",
        request=ADD_REQUEST,
        responses={
            201: GoldQuestionSerializer(many=True),
            **upload_error_responses(400, 404),
        },
    )
    def post(self, request, gold_set_id: int):
        items = _items(request)
        gold_set = _gold_set(request, gold_set_id)
        return _created(gold_set_add(actor=request.user, gold_set=gold_set, items=items))


class GoldSetQuestionDetailApi(APIView):
    @extend_schema(
        operation_id="gold_sets_questions_retrieve",
        responses={200: GoldQuestionSerializer, **error_responses(404)},
    )
    def get(self, request, gold_set_id: int, gold_id: int):
        gold_set = _gold_set(request, gold_set_id)
        question = gold_set_question_access(gold_set=gold_set, gold_id=gold_id)
        return Response(GoldQuestionSerializer(question).data)

    @extend_schema(
        operation_id="gold_sets_questions_destroy",
        description="Deactivate the question in every job drawing on the set (for good).",
        request=None,
        responses={200: GoldQuestionSerializer, **error_responses(404)},
    )
    def delete(self, request, gold_set_id: int, gold_id: int):
        gold_set = _gold_set(request, gold_set_id)
        question = gold_set_question_access(gold_set=gold_set, gold_id=gold_id)
        gold_deactivate(actor=request.user, question=question)
        question = gold_set_question_access(gold_set=gold_set, gold_id=gold_id)
        return Response(GoldQuestionSerializer(question).data)
