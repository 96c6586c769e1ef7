"""Label adjustment: a worker sees an object with its prior label (a source job's class
label) pre-selected and keeps or changes it; the output is a class label of the source's
output type, with Ground Truth's `adjustment-status`."""

from jobs.tasktypes.audit import AuditTaskType, prior_label
from jobs.tasktypes.base import Consolidation

ADJUSTED = "adjusted"
UNADJUSTED = "unadjusted"


def adjustment_status(answers: list[dict], *, data: dict | None) -> str:
    """ "adjusted" when at least one answer differs from the line's prior label."""
    prior = prior_label(data or {})
    prior_name = prior.class_name if prior is not None else None
    changed = any(answer.get("label") != prior_name for answer in answers)
    return ADJUSTED if changed else UNADJUSTED


class LabelAdjustment(AuditTaskType):
    """The job's labels are its source job's labels; answers are {"label": <one of them>}."""

    key = "label-adjustment"
    name = "Label adjustment"
    # The output takes the source job's type (job_output_type); this is the usual one.
    output_type = "groundtruth/image-classification"
    template = "tasks/label_adjustment.html"

    def job_output_type(self, *, job) -> str:
        """The source job's output type (e.g. groundtruth/text-classification), as Ground
        Truth writes an adjustment job's labels; without a source job (deleted), the type
        of the prior label on the job's first object."""
        source = job.source_job
        if source is not None:
            from jobs.tasktypes import task_type_get

            return task_type_get(source.task_type).job_output_type(job=source)
        first = job.data_objects.order_by("line_number").values_list("data", flat=True).first()
        prior = prior_label(first or {})
        return str(prior.metadata.get("type") or self.output_type) if prior else self.output_type

    def consolidated(
        self,
        *,
        category: int,
        confidence: float,
        answers: list[dict],
        labels: list[str],
        data: dict,
    ) -> Consolidation:
        result = super().consolidated(
            category=category, confidence=confidence, answers=answers, labels=labels, data=data
        )
        return Consolidation(
            label=result.label,
            confidence=result.confidence,
            metadata={
                **result.metadata,
                "adjustment-status": adjustment_status(answers, data=data),
            },
        )
