"""The coordinator's lists and forms, described once: a form's fields (how they read from a
posted form, their French labels and error messages), submitting it through the API's own
pydantic model and service, a list with an add form at its foot, search, filters, pages.
One template draws any form (``coord_form.html``, macros in ``coord_macros.html``)."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from app.errors import DomainError, RuleViolation
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.types import Text
from app.web.deps import WebUser
from app.web.forms import FormErrors, parse_model, text
from app.web.templating import render

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Field:
    """One form field: ``kind`` is text, email, tel, number, select, checkbox, checkboxes
    (several values) or list (comma-separated words); ``message`` is shown beside it when
    its value is refused."""

    name: str
    label: str
    message: str
    kind: str = "text"
    required: bool = False
    hint: str = ""
    choices: Choices = ()


def _value(form: FormData, field: Field) -> Any:
    if field.kind == "checkbox":
        return field.name in form
    if field.kind == "checkboxes":
        return [v for v in form.getlist(field.name) if isinstance(v, str)]
    value = text(form, field.name)
    if field.kind == "list":
        return [part.strip() for part in value.split(",") if part.strip()]
    if field.kind == "number":
        value = value.replace(",", ".")
    return value or None


def _read_form(form: FormData, fields: Sequence[Field]) -> dict[str, Any]:
    """Each field's value as the API's model takes it: '' is left out (None), checkboxes
    are booleans, several values a list."""
    return {field.name: _value(form, field) for field in fields}


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the form shows them again: None is an empty box."""
    return {name: "" if value is None else value for name, value in values.items()}


def _parse(
    model: type[ModelT], values: dict[str, Any], fields: Sequence[Field], errors: FormErrors
) -> ModelT | None:
    """``values`` validated by the API's ``model``; refused fields get their French message."""
    messages = {field.name: field.message for field in fields}
    return parse_model(model, values, errors, messages)


def attempt(
    session: Session,
    write: Callable[[], T],
    errors: FormErrors,
    refusals: dict[str, str],
    *,
    default_field: str,
) -> T | None:
    """Run a service write; a refusal (4xx other than 404) is rolled back and shown beside
    the field it names, in French (``refusals`` by field, else a general sentence)."""
    try:
        return write()
    except DomainError as refused:
        if refused.status == 404:
            raise
        session.rollback()
        field = refused.field or default_field
        errors[field] = refusals.get(field, "Cette valeur est refusée.")
        return None


@dataclass(frozen=True)
class FormSpec:
    """A form: its fields, the French sentence for each refusal a service may give (by
    the field the refusal names), and the field a refusal naming none is shown beside."""

    fields: tuple[Field, ...]
    refusals: dict[str, str]
    default_field: str

    def offering(self, name: str, choices: Choices) -> "FormSpec":
        """The same form, its field ``name`` offering ``choices``."""
        fields = tuple(replace(f, choices=choices) if f.name == name else f for f in self.fields)
        return replace(self, fields=fields)


@dataclass
class Submitted(Generic[T]):
    """What a posted form gave: the saved row (None if refused), the values to show again
    and the French error of each refused field."""

    saved: T | None
    values: dict[str, Any]
    errors: FormErrors


def submit(
    session: Session,
    form: FormData,
    spec: FormSpec,
    model: type[ModelT],
    write: Callable[[ModelT], T],
) -> Submitted[T]:
    """Read ``spec``'s fields from ``form``, validate them with the API's ``model`` and
    ``write`` the result through the service; any refusal is kept beside its field."""
    values = _read_form(form, spec.fields)
    errors = FormErrors()
    data = _parse(model, values, spec.fields, errors)
    saved = None
    if data is not None:
        saved = attempt(
            session, lambda: write(data), errors, spec.refusals, default_field=spec.default_field
        )
    return Submitted(saved, _shown(values), errors)


def edit_form(
    request: Request,
    *,
    title: str,
    action: str,
    back: tuple[str, str],
    fields: Sequence[Field],
    values: dict[str, Any],
    errors: FormErrors,
) -> HTMLResponse:
    """A coordinator's edit form (``coord_form.html``) going back to ``back`` (link, label);
    422 when it shows refused fields."""
    context = {
        "title": title,
        "action": action,
        "submit": "Enregistrer",
        "back": back[0],
        "back_label": back[1],
        "form_fields": fields,
        "values": values,
        "errors": errors,
    }
    return render(request, "coord_form.html", context, status=422 if errors else 200)


def model_values(row: object, fields: Sequence[Field]) -> dict[str, Any]:
    """A stored row's values, as an edit form shows them."""
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(row, field.name, None)
        if field.kind == "checkboxes":
            value = [str(getattr(item, "id", item)) for item in value or []]
        elif field.kind == "select" and value is not None:
            value = str(value)
        values[field.name] = value
    return _shown(values)


SEARCH = TypeAdapter(Text)


def search_words(query: QueryParams) -> str | None:
    """The list's search box (``q``), 100 characters at most; None when empty."""
    words = query.get("q", "").strip()[:100]
    try:
        return SEARCH.validate_python(words) or None
    except ValidationError:
        raise RuleViolation("the search has characters no name contains", field="q") from None


def choice_of(query: QueryParams, name: str, allowed: Iterable[str]) -> str | None:
    """A list filter's value if it is one of ``allowed`` (otherwise no filter)."""
    value = query.get(name, "")
    return value if value in set(allowed) else None


Listing = Callable[[Session, WebUser, QueryParams, dict[str, Any], FormErrors], dict[str, Any]]
"""What a list page shows: from the query string, and its add form's values and errors."""


@dataclass(frozen=True)
class ListPage:
    """A list with an add form at its foot: its template, its context, the empty form."""

    template: str
    listing: Listing
    empty: dict[str, Any]

    def show(self, request: Request, session: Session, user: WebUser) -> HTMLResponse:
        """The list as the query string asks, with an empty add form."""
        context = self.listing(session, user, request.query_params, self.empty, FormErrors())
        return render(request, self.template, context)

    def after(
        self, request: Request, session: Session, user: WebUser, result: Submitted[Any], then: str
    ) -> Response:
        """After the add form: to ``then`` once saved, else the list again with the errors."""
        if result.saved is not None:
            return RedirectResponse(then, status_code=303)
        context = self.listing(session, user, QueryParams(), result.values, result.errors)
        return render(request, self.template, context, status=422)


PAGE_SIZE = 50
MAX_PAGE_NUMBER = 10_000


@dataclass(frozen=True)
class Pager:
    """Where a long list is: page ``number`` of ``pages``, and the links on either side
    ('' at either end), keeping the list's other query parameters."""

    number: int
    pages: int
    previous: str
    following: str


def page_of(query: QueryParams) -> tuple[PageParams, int]:
    """The rows of ``?page=N`` (the first page when absent or unreadable), and N."""
    value = query.get("page", "1")
    number = min(int(value), MAX_PAGE_NUMBER) if value.isdigit() and int(value) > 0 else 1
    return PageParams(limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE), number


def pager(query: QueryParams, number: int, total: int) -> Pager:
    """The pager of a list of ``total`` rows shown at page ``number``."""
    pages = max(1, -(-total // PAGE_SIZE))
    kept = [(name, value) for name, value in query.multi_items() if name != "page"]

    def link(to: int) -> str:
        return "?" + urlencode([*kept, ("page", str(to))])

    return Pager(
        number,
        pages,
        link(number - 1) if number > 1 else "",
        link(number + 1) if number < pages else "",
    )


def every(fetch: Callable[[PageParams], tuple[list[T], int]]) -> list[T]:
    """Every row of a paginated service list (a form's choices), page after page."""
    rows, total = fetch(PageParams(limit=MAX_PAGE_SIZE, offset=0))
    while len(rows) < total:
        more, total = fetch(PageParams(limit=MAX_PAGE_SIZE, offset=len(rows)))
        if not more:
            break
        rows += more
    return rows
