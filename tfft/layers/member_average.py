"""The layer that runs ensemble members side by side and combines their outputs."""

from __future__ import annotations

from typing import Callable

import keras


@keras.saving.register_keras_serializable(package="tfft")
class MemberAverage(keras.layers.Layer):
    """Runs every member model on the same inputs and combines their outputs with ``combine``.

    One layer holding the members (rather than each member as a node of the
    functional graph) because every member model carries the same name.
    ``combine`` takes the list of member outputs; to round-trip through
    `get_config` it must be Keras-serializable (a registered object with
    ``get_config``, as the tasks' combiners are).

    Example:

    >>> combined = MemberAverage([first, second], task.member_combiner(), name="combine_members")(inputs)
    """

    def __init__(self, members: list[keras.Model], combine: Callable, **kwargs):
        super().__init__(**kwargs)
        self.members = members
        self.combine = combine

    def call(self, inputs):
        return self.combine([member(inputs) for member in self.members])

    def get_config(self) -> dict:
        return {**super().get_config(),
                "members": [keras.saving.serialize_keras_object(member) for member in self.members],
                "combine": keras.saving.serialize_keras_object(self.combine)}

    @classmethod
    def from_config(cls, config: dict) -> "MemberAverage":
        config = dict(config)
        members = [keras.saving.deserialize_keras_object(member) for member in config.pop("members")]
        combine = keras.saving.deserialize_keras_object(config.pop("combine"))
        return cls(members, combine, **config)
