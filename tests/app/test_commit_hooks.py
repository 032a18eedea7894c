"""What the process does after a commit (drop rendered feeds, tell other processes of an
auth change) happens at the transaction's commit, never at a savepoint's release: a reader
in between would otherwise cache what the transaction is about to change."""

import pytest
from sqlalchemy.orm import Session

from app.cpts.models import Cpts
from app.feeds.cache import changes_seen
from app.revocation import EpochFile, epoch_path
from app.users.models import User
from tests.factories import make_territory


def test_feeds_are_dropped_when_the_transaction_commits_not_at_a_savepoint(
    session: Session,
) -> None:
    cpts_id = make_territory(session, name="CPTS Savepoint").cpts.id
    session.commit()
    before = changes_seen()
    with session.begin_nested():
        session.get_one(Cpts, cpts_id).name = "CPTS Renommée"
    assert changes_seen() == before, "released, not yet committed"
    session.commit()
    assert changes_seen() > before


def test_other_processes_hear_of_an_auth_change_when_its_transaction_commits(
    session: Session,
) -> None:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's NOTIFY is itself delivered only at the commit")
    epoch = EpochFile(epoch_path(str(bind.engine.url.database)))
    coordinator_id = make_territory(session, name="CPTS Révocation").coordinator.id
    session.commit()
    before = epoch.stamp()
    with session.begin_nested():
        session.get_one(User, coordinator_id).active = False
    assert epoch.stamp() == before, "released, not yet committed"
    session.commit()
    assert epoch.stamp() != before
