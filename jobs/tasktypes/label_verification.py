"""Label verification: a worker sees an object and its prior label (a source job's class
label) and judges it with one of the job's verification labels, with an optional comment;
the judgments consolidate into Ground Truth's groundtruth/label-verification output."""

from jobs.tasktypes.audit import VERIFICATION_OUTPUT_TYPE, AuditTaskType
from jobs.tasktypes.base import AnswerInvalid, Consolidation

COMMENT_MAX = 1_000
ANSWER_FIELDS = frozenset({"label", "comment"})
# Ground Truth-like verification categories, used when the requester names none.
DEFAULT_VERIFICATION_LABELS = ("Correct", "Incorrect")


def worker_feedback(answers: list[dict]) -> list[dict]:
    """Ground Truth's `worker-feedback`: the non-empty comments of the answers that count,
    in the order given (the order the answers were submitted in)."""
    return [{"comment": answer["comment"]} for answer in answers if answer.get("comment")]


class LabelVerification(AuditTaskType):
    key = "label-verification"
    name = "Label verification"
    output_type = VERIFICATION_OUTPUT_TYPE
    template = "tasks/label_verification.html"

    def validate_answer(self, answer: object, *, labels: list[str]) -> dict:
        """{"label": <a verification label>, "comment": <optional text>}; the normal form
        drops a blank comment and trims the others."""
        if not isinstance(answer, dict):
            raise AnswerInvalid(
                {
                    "non_field_errors": [
                        'The answer must be a JSON object: {"label": "<name>", "comment": "..."}.'
                    ]
                }
            )
        problems: dict[str, list[str]] = {}
        comment = answer.get("comment")
        if comment is None:
            comment = ""
        elif not isinstance(comment, str):
            problems["comment"] = ["Must be text."]
            comment = ""
        comment = comment.strip()
        if len(comment) > COMMENT_MAX:
            problems["comment"] = [f"At most {COMMENT_MAX:,} characters."]
        judged = {name: value for name, value in answer.items() if name != "comment"}
        try:
            normal = super().validate_answer(judged, labels=labels)
        except AnswerInvalid as error:
            problems = {**error.fields, **problems}
        if problems:
            raise AnswerInvalid(problems)
        return {**normal, "comment": comment} if comment else normal

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
            metadata={**result.metadata, "worker-feedback": worker_feedback(answers)},
        )
