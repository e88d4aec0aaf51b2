"""Walking nested arrow types: lists, large lists, structs and dictionaries down to their
leaves (the JSON Lines reader's timestamps kept as text, the Parquet reader's strings
checked as bytes)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

__all__ = ["has_leaf", "swap_leaves"]


def swap_leaves(
    kind: pa.DataType, swap: Callable[[pa.DataType], pa.DataType | None]
) -> pa.DataType:
    """*kind* with each leaf type for which *swap* gives a type replaced by it (field names,
    nullability and list item names kept).

    >>> stamp = lambda t: pa.string() if pa.types.is_timestamp(t) else None
    >>> swap_leaves(pa.struct([("at", pa.timestamp("s")), ("n", pa.int64())]), stamp)
    StructType(struct<at: string, n: int64>)
    >>> swap_leaves(pa.list_(pa.timestamp("s")), stamp)
    ListType(list<item: string>)
    """
    swapped = swap(kind)
    if swapped is not None:
        return swapped
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, swap_leaves(kind.value_type, swap), kind.ordered)
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(swap_leaves(kind.value_type, swap)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(swap_leaves(kind.value_type, swap)))
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(swap_leaves(field.type, swap)) for field in kind])
    return kind


def has_leaf(kind: pa.DataType, test: Callable[[pa.DataType], bool]) -> bool:
    """Whether *kind* or a type nested in it passes *test*.

    >>> has_leaf(pa.struct([("u", pa.list_(pa.timestamp("s")))]), pa.types.is_timestamp)
    True
    """
    if test(kind):
        return True
    if pa.types.is_dictionary(kind):
        return has_leaf(kind.value_type, test)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return has_leaf(kind.value_type, test)
    if pa.types.is_struct(kind):
        return any(has_leaf(field.type, test) for field in kind)
    return False
