"""What the label verification and label adjustment types share: the prior label a manifest
line carries (a source job's label attribute and its `-metadata`) and the object it labels."""

from dataclasses import dataclass

from jobs.tasktypes.classification import (
    SOURCE,
    SOURCE_REF,
    SOURCE_VALIDATORS,
    SingleLabelClassification,
)

METADATA_SUFFIX = "-metadata"
VERIFICATION_OUTPUT_TYPE = "groundtruth/label-verification"


@dataclass(frozen=True)
class PriorLabel:
    """A class label on a manifest line: its attribute, its class name, its value (Ground
    Truth's class index) and its metadata."""

    attribute: str
    class_name: str
    value: object
    metadata: dict


def prior_label(line: dict, *, attribute: str | None = None) -> PriorLabel | None:
    """The class label `line` carries under `attribute`, or None.

    Without `attribute`: the line's most recent class label (latest `creation-date`, then
    the greater attribute name) that is not a verification judgment. A chained job's line
    is its source's output line, whose own label is always the newest one on it (the
    chaining service checks this when it builds the job), so this finds the label the job
    audits when only the line is at hand, as in consolidation.
    """
    if not isinstance(line, dict):
        return None
    if attribute is not None:
        return _class_label(line, attribute)
    candidates = [
        label
        for name in line
        if (label := _class_label(line, name)) is not None
        and label.metadata.get("type") != VERIFICATION_OUTPUT_TYPE
    ]
    if not candidates:
        return None
    return max(candidates, key=_recency)


def _recency(label: PriorLabel) -> tuple[str, str]:
    return (str(label.metadata.get("creation-date", "")), label.attribute)


def _class_label(line: dict, attribute: str) -> PriorLabel | None:
    if (
        not isinstance(attribute, str)
        or attribute.endswith(METADATA_SUFFIX)
        or attribute in SOURCE_VALIDATORS
        or attribute not in line
    ):
        return None
    metadata = line.get(f"{attribute}{METADATA_SUFFIX}")
    if not isinstance(metadata, dict):
        return None
    class_name = metadata.get("class-name")
    if not isinstance(class_name, str) or not class_name:
        return None
    return PriorLabel(
        attribute=attribute, class_name=class_name, value=line[attribute], metadata=metadata
    )


class AuditTaskType(SingleLabelClassification):
    """A type that audits a prior class label: the object is an image (`source-ref`) or a
    text (`source`), and the line must carry the label being audited."""

    # The image key first: a line with both shows the image. Text lines have "source".
    source_key = SOURCE_REF
    source_keys = (SOURCE_REF, SOURCE)

    def validate_manifest_line(self, line: dict) -> list[str]:
        if not isinstance(line, dict):
            return ["The line must be a JSON object."]
        present = [key for key in self.source_keys if key in line]
        if not present:
            return [f'The line has no "{SOURCE_REF}" (an image) or "{SOURCE}" (a text).']
        problems = SOURCE_VALIDATORS[present[0]](line[present[0]])
        if prior_label(line) is None:
            problems.append(
                "The line carries no label to audit: it needs the source job's label "
                'attribute and its "-metadata" with a "class-name" (chain the job from the '
                "source job's output)."
            )
        return problems
