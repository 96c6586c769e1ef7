"""Single-label classification, shared by the image and text types: one label per object.

The two types differ only in their manifest key ("source-ref" or "source"), template and
output `type`; everything else (answer schema, gold comparison, majority vote) is here.
"""

from urllib.parse import urlsplit

from jobs.tasktypes.base import AnswerInvalid, Consolidation, TaskType

SOURCE_REF = "source-ref"
SOURCE = "source"
SOURCE_REF_SCHEMES = frozenset({"http", "https", "s3"})
ANSWER_FIELDS = frozenset({"label"})


def source_ref_problems(value: object) -> list[str]:
    """Why `value` is not a usable `source-ref` (empty if it is).

    Accepted: an http(s) URL (handed to the worker's browser as is), an s3:// URI, or a
    relative path in the configured storage. Any other scheme (file:, javascript:,
    data:, ...) is refused, and so is a path that could leave the storage root.
    """
    if not isinstance(value, str) or not value:
        return [f'"{SOURCE_REF}" must be a non-empty string.']
    if value != value.strip() or any(ord(character) < 32 for character in value):
        return [f'"{SOURCE_REF}" must not contain spaces at its ends or control characters.']
    try:
        parts = urlsplit(value)
    except ValueError:
        return [f'"{SOURCE_REF}" is not a valid URL or path.']
    if parts.scheme:
        scheme = parts.scheme.lower()
        if scheme not in SOURCE_REF_SCHEMES:
            return [
                f'"{SOURCE_REF}" must be an http(s) URL, an s3:// URI or a storage path, '
                f'not a "{scheme}:" reference.'
            ]
        if not parts.netloc:
            return [f'"{SOURCE_REF}" names no host or bucket.']
        if scheme == "s3" and parts.path in ("", "/"):
            return [f'"{SOURCE_REF}" names a bucket but no object key.']
        return []
    if value.startswith("/") or "\\" in value:
        return [f'"{SOURCE_REF}" must be a relative storage path (no leading "/" or "\\").']
    if ".." in value.split("/"):
        return [f'"{SOURCE_REF}" must not contain ".." segments.']
    return []


def source_text_problems(value: object) -> list[str]:
    """Why `value` is not a usable inline `source` text (empty if it is)."""
    if not isinstance(value, str) or not value.strip():
        return [f'"{SOURCE}" must be a non-empty string.']
    return []


SOURCE_VALIDATORS = {SOURCE_REF: source_ref_problems, SOURCE: source_text_problems}


class SingleLabelClassification(TaskType):
    """One label out of the job's set per object; subclasses set the class attributes."""

    min_labels = 2  # Ground Truth: classification needs at least 2 labels
    max_labels = None  # Ground Truth's API quota for single-label classification: unlimited

    def validate_manifest_line(self, line: dict) -> list[str]:
        if not isinstance(line, dict):
            return ["The line must be a JSON object."]
        if self.source_key not in line:
            others = sorted(set(SOURCE_VALIDATORS) & set(line))
            if others:
                return [f'The line has "{others[0]}", but {self.key} needs "{self.source_key}".']
            return [f'The line has no "{self.source_key}".']
        return SOURCE_VALIDATORS[self.source_key](line[self.source_key])

    def validate_answer(self, answer: object, *, labels: list[str]) -> dict:
        if not isinstance(answer, dict):
            raise AnswerInvalid(
                {"non_field_errors": ['The answer must be a JSON object: {"label": "<name>"}.']}
            )
        problems: dict[str, list[str]] = {
            name: ["Unknown field."] for name in sorted(set(answer) - ANSWER_FIELDS)
        }
        if "label" not in answer:
            problems["label"] = ["This field is required."]
        elif not isinstance(answer["label"], str):
            problems["label"] = ["Must be a string: one of the job's labels."]
        elif answer["label"] not in labels:
            problems["label"] = [f'"{answer["label"]}" is not one of the job\'s labels.']
        if problems:
            raise AnswerInvalid(problems)
        return {"label": answer["label"]}

    def answers_match(
        self, answer: dict, expected: dict, *, tolerance: float | None = None
    ) -> bool:
        return answer.get("label") == expected.get("label")

    def consolidated_answer(self, *, label: object, metadata: dict) -> dict:
        return {"label": metadata.get("class-name")}

    def answer_category(self, answer: dict, *, labels: list[str]) -> int:
        return labels.index(answer["label"])

    def consolidated(
        self,
        *,
        category: int,
        confidence: float,
        answers: list[dict],
        labels: list[str],
        data: dict,
    ) -> Consolidation:
        """Ground Truth's single-label output: the class index, with `class-name`; the
        confidence rounded to 2 places, 0.0 for a single answer (not agreement)."""
        return Consolidation(
            label=category,
            confidence=0.0 if len(answers) == 1 else round(float(confidence), 2),
            metadata={"class-name": labels[category]},
        )
