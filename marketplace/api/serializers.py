"""Serializer building blocks shared by every endpoint."""

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (typos, mass assignment)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(
                set(data) - {name for name, f in self.fields.items() if not f.read_only}
            )
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)
