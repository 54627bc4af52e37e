"""The Python worker's load-time rules, applied by the dev host before it serves a function.

On Azure (and under ``func start``) the Python worker checks every indexed function's
signature against its bindings before the host sees it; one refusal and the app serves
*zero* functions. The dev host used to accept what the worker refuses (for example
``func.Out[list[str]]``), so these rules restate the worker's checks with the worker's
own messages (``cannot load the NAME function: ...``). The type checks themselves are
the ``azure-functions`` library's converters, the same ones the worker asks.

``tests/infra/test_worker_rules.py`` runs the real worker code (``azure-functions-runtime``)
on the same apps and asserts that both refuse the same things with the same words.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Any

import azure.functions as func

from .errors import DevHostError

#: Binding direction values as the worker's protobuf ``BindingInfo`` numbers them.
DIRECTION_OUT = 1
DIRECTION_INOUT = 2


class WorkerLoadError(DevHostError):
    """The Python worker would refuse this function (same text as its FunctionLoadError)."""

    def __init__(self, function_name: str, message: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {message}")


def is_typing_generic(tp: Any) -> bool:
    """Whether the worker counts ``tp`` as a generic type.

    It accepts ``typing`` aliases (``List[str]``, ``Iterable[int]``) and Generic classes,
    but not built-in aliases (``list[str]``), Union, Tuple, ClassVar or Callable.
    """
    if isinstance(tp, type):
        return issubclass(tp, typing.Generic)  # type: ignore[arg-type]
    if isinstance(tp, types.GenericAlias) or type(tp).__module__ != "typing":
        return False
    origin = getattr(tp, "__origin__", None)
    return origin is not None and origin not in (typing.Union, tuple, typing.ClassVar, collections.abc.Callable)


def _is_out(annotation: Any) -> bool:
    if is_typing_generic(annotation):
        origin = typing.get_origin(annotation)
        target = origin if origin is not None else annotation
    else:
        target = annotation
    return isinstance(target, type) and target.__name__ == "Out"


def _converter(binding_type: str) -> Any:
    return func.get_binding_registry().get(binding_type)


def _accepts_input(binding_type: str, pytype: Any) -> bool:
    converter = _converter(binding_type)
    if converter is None:  # the worker's generic binding: text or bytes
        return isinstance(pytype, type) and issubclass(pytype, (str, bytes))
    return bool(converter.check_input_type_annotation(pytype))


def _accepts_output(binding_type: str, pytype: Any) -> bool:
    converter = _converter(binding_type)
    if converter is None:
        return isinstance(pytype, type) and issubclass(pytype, (str, bytes, bytearray))
    return bool(converter.check_output_type_annotation(pytype))


def _name_of(pytype: Any) -> str:
    return str(getattr(pytype, "__name__", repr(pytype)))


def check_function(function: Any) -> None:
    """Raise :class:`WorkerLoadError` where the worker would refuse ``function``."""
    name = function.get_function_name()
    user_function = function.get_user_function()
    params = dict(inspect.signature(user_function).parameters)
    try:
        annotations = typing.get_type_hints(user_function)
    except Exception as exc:  # the worker calls get_type_hints too and fails the same way
        raise WorkerLoadError(name, f"cannot read the annotations: {exc.__class__.__name__}: {exc}") from exc

    bound: dict[str, Any] = {}
    return_type: str | None = None
    for binding in function.get_bindings():
        if binding.direction == DIRECTION_INOUT:
            raise WorkerLoadError(name, '"inout" bindings are not supported')
        if binding.name == "$return":
            if binding.direction != DIRECTION_OUT:
                raise WorkerLoadError(name, '"$return" binding must have direction set to "out"')
            return_type = return_type or binding.type
        else:
            bound[binding.name] = binding

    if "context" in params and "context" not in bound:
        params.pop("context")
        if "context" in annotations:
            context = annotations["context"]
            if not isinstance(context, type) or context.__name__ != "Context":
                raise WorkerLoadError(
                    name,
                    f'the "context" parameter is expected to be of type azure.functions.Context, got "{context!r}"',
                )

    unbound = set(params) - set(bound)
    if unbound:
        raise WorkerLoadError(
            name,
            "the following parameters are declared in Python but not in the function definition "
            f"(function.json or function decorators):  {unbound!r}",
        )
    missing = set(bound) - set(params)
    if missing:
        raise WorkerLoadError(
            name,
            "Extra parameters in binding definition \u2014 the following parameters are declared as "
            f"bindings but are not present in Python: {missing!r}",
        )

    for param in params:
        _check_param(name, param, bound[param], annotations)
    if return_type is not None and "return" in annotations:
        _check_return(name, return_type, annotations["return"])


def _check_param(name: str, param: str, binding: Any, annotations: dict[str, Any]) -> None:
    if param not in annotations:
        return
    annotation = annotations[param]
    is_out = _is_out(annotation)
    pytype = annotation
    if is_out:
        args = typing.get_args(annotation)
        if len(args) != 1:
            raise WorkerLoadError(name, f"binding {param} has invalid Out annotation {annotation!r}")
        pytype = args[0]
    if not isinstance(pytype, type) and not is_typing_generic(pytype):
        raise WorkerLoadError(name, f"binding {param} has invalid non-type annotation {annotation!r}")
    binding_out = binding.direction == DIRECTION_OUT
    if binding_out and not is_out:
        raise WorkerLoadError(
            name,
            f'binding {param} is declared to have the "out" direction, but its annotation in Python '
            "is not a subclass of azure.functions.Out",
        )
    if is_out and not binding_out:
        raise WorkerLoadError(
            name,
            f'binding {param} is declared to have the "in" direction in the binding decorator, but its '
            "annotation is azure.functions.Out in Python",
        )
    bind_type = "generic" if pytype in (str, bytes) else binding.type
    accepted = _accepts_output(bind_type, pytype) if is_out else _accepts_input(bind_type, pytype)
    if not accepted:
        raise WorkerLoadError(
            name,
            f'binding type "{param!r}" and dataType "{binding.type}" in the binding decorator do not match '
            f"the corresponding function parameter's Python type annotation {_name_of(pytype)}",
        )


def _check_return(name: str, binding_type: str, annotation: Any) -> None:
    if is_typing_generic(annotation) and _is_out(annotation):
        raise WorkerLoadError(name, "return annotation should not be azure.functions.Out")
    if not isinstance(annotation, type):
        raise WorkerLoadError(name, f"has invalid non-type return annotation {annotation!r}")
    if not _accepts_output(binding_type, annotation):
        raise WorkerLoadError(
            name, f'Python return annotation "{annotation.__name__}" does not match binding type "{binding_type}"'
        )
