"""Posted forms: validation through the API's own pydantic types, errors in French."""

from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import FormData

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)


class FormErrors(dict[str, str]):
    """French error message per field name, shown beside the field (``errors.phone`` in a
    template is the message, or '' when the field is fine)."""

    def __getattr__(self, name: str) -> str:
        return self.get(name, "")


def parse_field(
    form: FormData, name: str, adapter: TypeAdapter[T], errors: FormErrors, message: str
) -> T | None:
    """One text field, stripped, validated by ``adapter``; on failure ``message`` is
    recorded for it."""
    try:
        return adapter.validate_python(text(form, name))
    except ValidationError:
        errors[name] = message
        return None


def parse_model(
    model: type[ModelT], data: dict[str, Any], errors: FormErrors, messages: dict[str, str]
) -> ModelT | None:
    """A request model from form values; each failing field gets its French message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            # the innermost field named (a list item's error goes to the list's field)
            field = next((p for p in reversed(error["loc"]) if isinstance(p, str)), "")
            errors.setdefault(field, messages.get(field, "Valeur invalide."))
        return None


def text(form: FormData, name: str) -> str:
    """A text field, stripped ('' when absent or not text)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def patient_values(form: FormData) -> dict[str, Any]:
    """The patient fields of a referral or a request form, as the API's models take them."""
    return {
        "patient": {
            "display_name": text(form, "display_name"),
            "birth_year": text(form, "birth_year") or None,
            "phone": text(form, "phone"),
        },
        "reason_category": text(form, "reason_category") or None,
        "note": text(form, "note") or None,
    }
