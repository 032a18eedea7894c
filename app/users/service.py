"""Users and their API tokens."""

from sqlalchemy.orm import Session

from app.auth import Principal, hash_token, new_token
from app.base import utcnow
from app.crud import apply_changes, matches_words
from app.errors import Forbidden, NotFound, RuleViolation
from app.pagination import PageParams, paginate
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.signin.service import end_user_sessions
from app.tenancy import get_owned, label, owned
from app.users.models import ApiToken, Role, User
from app.users.schemas import UserCreate, UserUpdate


def _check_bound_row(
    session: Session, model: type, row_id: int | None, *, cpts_id: int, field: str
) -> None:
    if row_id is None:
        return
    try:
        get_owned(session, model, row_id, cpts_id=cpts_id)
    except NotFound:
        raise RuleViolation(f"unknown {label(model)} {row_id} in this CPTS", field=field) from None


def create_user(session: Session, *, cpts_id: int, data: UserCreate) -> User:
    """Add a user; the practitioner or pharmacy it acts for must be in the same CPTS."""
    _check_bound_row(
        session, Practitioner, data.practitioner_id, cpts_id=cpts_id, field="practitioner_id"
    )
    _check_bound_row(session, Pharmacy, data.pharmacy_id, cpts_id=cpts_id, field="pharmacy_id")
    user = User(cpts_id=cpts_id, **data.model_dump(mode="json"))
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session, *, cpts_id: int, role: Role | None, page: PageParams, q: str | None = None
) -> tuple[list[User], int]:
    """A page of the territory's users, optionally of one role or named with the words ``q``."""
    query = owned(User, cpts_id).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role.value)
    if q is not None:
        query = query.where(matches_words(q, User.display_name))
    return paginate(session, query, page)


def get_user(session: Session, *, cpts_id: int, user_id: int) -> User:
    """One user of the territory."""
    return get_owned(session, User, user_id, cpts_id=cpts_id)


def update_user(session: Session, *, cpts_id: int, user_id: int, data: UserUpdate) -> User:
    """Rename or (de)activate a user; deactivating ends their web sessions."""
    user = get_user(session, cpts_id=cpts_id, user_id=user_id)
    apply_changes(user, data)
    if not user.active:
        end_user_sessions(session, user_ids=[user.id], now=utcnow())
    session.flush()
    return user


def issue_token(session: Session, *, user: User, label: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored row and the clear secret to show once."""
    secret = new_token()
    token = ApiToken(
        cpts_id=user.cpts_id,
        user_id=user.id,
        token_hash=hash_token(secret),
        label=label,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(
    session: Session, *, cpts_id: int, user_id: int, page: PageParams
) -> tuple[list[ApiToken], int]:
    """A page of a user's tokens, newest first (their secrets are never stored)."""
    get_user(session, cpts_id=cpts_id, user_id=user_id)
    query = owned(ApiToken, cpts_id).where(ApiToken.user_id == user_id)
    return paginate(session, query.order_by(ApiToken.id.desc()), page)


def revoke_token(session: Session, *, principal: Principal, token_id: int) -> ApiToken:
    """Revoke a token: the coordinator any of the CPTS, a user their own."""
    token = get_owned(session, ApiToken, token_id, cpts_id=principal.cpts_id)
    if principal.role != Role.coordinator and token.user_id != principal.user_id:
        raise Forbidden("you may only revoke your own tokens")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token
