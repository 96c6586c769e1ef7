"""What every task type declares: manifest rules, answer schema, gold comparison,
consolidation, the worker template and the output format."""

from dataclasses import dataclass, field


class AnswerInvalid(Exception):
    """A worker's answer does not fit the task type or the job's labels.

    `fields` maps answer field names to messages, as the API's error format wants them.
    """

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__(str(fields))


@dataclass(frozen=True)
class Consolidation:
    """One data object's consolidated label.

    `label` is the output manifest's label value, `metadata` the extra keys of its
    `<attr>-metadata` object for this type (e.g. `class-name`), `confidence` in 0..1.
    """

    label: object
    confidence: float
    metadata: dict = field(default_factory=dict)


class TaskType:
    """A task type. Subclasses set the class attributes and implement the methods; one
    instance per type lives in the registry (jobs.tasktypes.REGISTRY)."""

    key: str  # the registry key and API value, e.g. "image-classification"
    name: str  # for people, e.g. "Image classification (single label)"
    output_type: str  # the metadata `type`, e.g. "groundtruth/image-classification"
    template: str  # the worker's task page, e.g. "tasks/image_classification.html"
    source_key: str  # the manifest key holding the object: "source-ref" or "source"
    min_labels: int = 1
    max_labels: int | None = None  # None: no limit (Ground Truth's API quota)
    export_formats: tuple[str, ...] = ("manifest",)
    # Whether a gold answer may carry a tolerance for answers_match (IoU, span F1, ...);
    # classification compares exactly and takes none.
    gold_tolerance: bool = False

    def validate_manifest_line(self, line: dict) -> list[str]:
        """The reasons a parsed manifest line cannot be labeled by this type (empty if fine)."""
        raise NotImplementedError

    def validate_answer(self, answer: object, *, labels: list[str]) -> dict:
        """The answer in its normal form, or AnswerInvalid naming the bad fields."""
        raise NotImplementedError

    def answers_match(
        self, answer: dict, expected: dict, *, tolerance: float | None = None
    ) -> bool:
        """Whether a (validated) answer counts as correct against a gold answer."""
        raise NotImplementedError

    def job_output_type(self, *, job) -> str:
        """The metadata `type` of the job's labels (adjustment jobs take their source's)."""
        return self.output_type

    # Categorical consolidation through jobs.inference (majority vote, skill-weighted vote,
    # Dawid-Skene): each validated answer becomes one of `categories` by index, the library
    # infers each object's category with a posterior, and `consolidated` turns that into
    # the object's label and metadata.

    def categories(self, *, labels: list[str]) -> list[str]:
        """The K categories answers are coded into (by default the job's labels)."""
        return list(labels)

    def answer_category(self, answer: dict, *, labels: list[str]) -> int:
        """A validated answer's category index (0..K-1)."""
        raise NotImplementedError

    def consolidated(
        self,
        *,
        category: int,
        confidence: float,
        answers: list[dict],
        labels: list[str],
        data: dict,
    ) -> Consolidation:
        """The object's label from its inferred category and that category's posterior
        probability; `answers` are the validated answers that count, `data` the object's
        manifest line (verification and adjustment types read the prior label there)."""
        raise NotImplementedError

    def consolidated_answer(self, *, label: object, metadata: dict) -> dict:
        """A consolidated label (as `consolidated` made it) in the form of an answer, to
        judge a worker's answer against it with `answers_match`."""
        raise NotImplementedError
