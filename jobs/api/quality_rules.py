"""Requesters' API for a job's quality rules (collector + condition -> action) and the log of
the actions they took, with their evidence."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import QualityRule, RuleAction, RuleCollector, RuleOperator
from jobs.selectors import job_access
from jobs.services.quality_rules import (
    quality_action_list,
    quality_rule_access,
    quality_rule_create,
    quality_rule_list,
    quality_rule_set_active,
)
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses

PARAMS_HELP = (
    "The collector's parameters: history_size (only the worker's latest N answers; gold "
    "accuracy, majority agreement, fast responses), threshold_seconds (fast responses, "
    'required: a submit faster than this is fast) and measure ("count", the default, or '
    '"share"; fast responses).'
)
ACTION_PARAMS_HELP = (
    'change_overlap: {"extra": n, "relabel": false}; set_skill: {"qualification_type_id": '
    '"<an id of your organization\'s types>", "value": n}; the other actions take none.'
)


class QualityRuleSerializer(OutputSerializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id")
    collector = serializers.ChoiceField(choices=RuleCollector.choices)
    params = serializers.JSONField(help_text=PARAMS_HELP)
    operator = serializers.ChoiceField(choices=RuleOperator.choices)
    value = serializers.FloatField()
    min_answers = serializers.IntegerField(
        help_text="The rule acts only once this many answers back the figure."
    )
    action = serializers.ChoiceField(choices=RuleAction.choices)
    action_params = serializers.JSONField(help_text=ACTION_PARAMS_HELP)
    reason = serializers.CharField(help_text="What the worker is told when the rule acts.")
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class QualityActionSerializer(OutputSerializer):
    id = serializers.IntegerField()
    rule = serializers.IntegerField(source="rule_id")
    worker = serializers.CharField(source="worker.worker_id", help_text="A public worker id.")
    action = serializers.ChoiceField(choices=RuleAction.choices)
    evidence = serializers.JSONField(
        help_text="The figures that made the rule act (figure, count, the condition) and the "
        "assignment ids behind them (at most 50, newest first)."
    )
    result = serializers.JSONField(
        help_text='What the action changed; {"error", "message"} when it could not act.'
    )
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class QualityRuleInputSerializer(StrictInputSerializer):
    collector = serializers.ChoiceField(choices=RuleCollector.choices)
    params = serializers.DictField(required=False, default=dict, help_text=PARAMS_HELP)
    operator = serializers.ChoiceField(choices=RuleOperator.choices)
    value = serializers.FloatField(
        help_text="The figure is compared with this: a share from 0 to 1 for gold accuracy, "
        'majority agreement and fast responses measured as "share"; a count otherwise.'
    )
    min_answers = serializers.IntegerField(required=False, default=1, min_value=1)
    action = serializers.ChoiceField(choices=RuleAction.choices)
    action_params = serializers.DictField(
        required=False, default=dict, help_text=ACTION_PARAMS_HELP
    )
    reason = serializers.CharField(max_length=1024, help_text="What the worker is told.")


class ActionPagination(CursorPagination):
    ordering = ("-created_at", "-id")


def _job(request, job_id):
    return job_access(actor=request.user, job_id=job_id, only=request_bound_organization(request))


class QualityRuleListApi(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        operation_id="job_quality_rules_list",
        description="The job's quality rules, newest first (inactive ones included).",
        responses={200: QualityRuleSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=quality_rule_list(job=_job(request, job_id)),
            serializer_class=QualityRuleSerializer,
        )

    @extend_schema(
        operation_id="job_quality_rules_create",
        description="Add a rule to a draft, running or paused job: when a worker's figure "
        "meets `operator` `value` (with at least `min_answers` answers behind it), `action` "
        "is taken on them once. A condition no figure can meet, unknown parameters and a "
        "qualification type of another organization are 400; an ended job is 409.",
        request=QualityRuleInputSerializer,
        responses={201: QualityRuleSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, job_id: int):
        serializer = QualityRuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = quality_rule_create(
            actor=request.user, job=_job(request, job_id), **serializer.validated_data
        )
        return Response(QualityRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class QualityRuleDetailApi(APIView):
    class InputSerializer(StrictInputSerializer):
        active = serializers.BooleanField(
            help_text="Off: the rule stops acting (workers it acted on stay acted on)."
        )

    def _rule(self, request, job_id, rule_id) -> QualityRule:
        return quality_rule_access(job=_job(request, job_id), rule_id=rule_id)

    @extend_schema(responses={200: QualityRuleSerializer, **error_responses(404)})
    def get(self, request, job_id: int, rule_id: int):
        return Response(QualityRuleSerializer(self._rule(request, job_id, rule_id)).data)

    @extend_schema(
        description="Turn the rule off or on again. An ended job's rules are fixed (409).",
        request=InputSerializer,
        responses={200: QualityRuleSerializer, **error_responses(400, 404, 409)},
    )
    def patch(self, request, job_id: int, rule_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = quality_rule_set_active(
            actor=request.user,
            rule=self._rule(request, job_id, rule_id),
            active=serializer.validated_data["active"],
        )
        return Response(QualityRuleSerializer(rule).data)

    @extend_schema(
        description="Turn the rule off (it stays, with its log). Again changes nothing.",
        request=None,
        responses={
            204: OpenApiResponse(description="The rule is off."),
            **error_responses(404, 409),
        },
    )
    def delete(self, request, job_id: int, rule_id: int):
        quality_rule_set_active(
            actor=request.user, rule=self._rule(request, job_id, rule_id), active=False
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class QualityActionListApi(APIView):
    pagination_class = ActionPagination

    @extend_schema(
        operation_id="job_quality_actions_list",
        description="What the job's rules did, newest first: each action on a worker with "
        "its evidence and result.",
        responses={200: QualityActionSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, job_id: int):
        return paginated_response(
            view=self,
            request=request,
            queryset=quality_action_list(job=_job(request, job_id)),
            serializer_class=QualityActionSerializer,
        )
