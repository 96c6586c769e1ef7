"""Labeling jobs: task types, data, HITs and assignments, dispatch, consolidation, exports."""
