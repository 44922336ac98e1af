"""`evolve`: `dataclasses.replace` for the small frozen records of the scan path.

`replace` looks up the class's fields and runs its `__init__`, which a frozen dataclass
makes set every field through `object.__setattr__`: 3-5 µs for a pick task's state, twice
per pick scan. A record whose class has no `__post_init__`, no `__slots__`, no
`init=False` field and no cached property keeps exactly its fields in its `__dict__`, so a
copy of that dict with the changes is the record `replace` would build. Any other class
goes through `replace`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, TypeVar

R = TypeVar("R")


def evolve(record: R, **changes: Any) -> R:
    """A copy of the frozen dataclass `record` with `changes`; unknown names raise
    TypeError, as `dataclasses.replace` does."""
    cls: type = type(record)
    if not _by_dict(cls):
        return dataclasses.replace(record, **changes)  # type: ignore[type-var]
    fields = record.__dict__
    unknown = changes.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    new: R = object.__new__(cls)
    state = new.__dict__
    state.update(fields)
    state.update(changes)
    return new


@functools.cache
def _by_dict(cls: type) -> bool:
    """Whether a copy of the instance dict is `replace` for this class."""
    return (
        dataclasses.is_dataclass(cls)
        and "__slots__" not in vars(cls)
        and not hasattr(cls, "__post_init__")
        and all(f.init for f in dataclasses.fields(cls))
        and not any(
            isinstance(v, functools.cached_property) for k in cls.__mro__ for v in vars(k).values()
        )
    )
