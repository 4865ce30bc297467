"""Routes live in a table of their own (directory.SignatureRoute), not on the signature."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import run_tasks
from personas import route_of
from safepassage.directory import routing, tasks, transfer
from safepassage.directory.models import Mission, SignatureRoute
from safepassage.directory.routing import route_pending, route_petition
from safepassage.directory.tests.test_routing import SMALL_DIRECTORY, confirmed
from safepassage.signatures import services
from safepassage.signatures.models import Signature


@pytest.fixture
def small_directory(db):
    transfer.import_rows(SMALL_DIRECTORY)
    return {m.key: m.pk for m in Mission.objects.all()}


def test_routing_writes_one_narrow_row_per_signature_and_leaves_the_signature_alone(
    small_directory, petition
):
    chicago = confirmed(petition, 1)
    before = Signature.objects.values().get(pk=chicago.pk)
    route_petition(petition)
    assert Signature.objects.values().get(pk=chicago.pk) == before
    assert route_of(chicago) == (small_directory["cg-chicago"], "city")
    assert SignatureRoute.objects.count() == 1
    # Routing everything again rewrites nothing that did not change.
    assert route_petition(petition, everything=True).changed == 0


def test_an_erased_signature_takes_its_route_with_it(small_directory, petition):
    signature = confirmed(petition, 1)
    route_petition(petition)
    services.erase(signature, "withdrawn")
    assert not SignatureRoute.objects.exists()


def test_a_deleted_mission_takes_its_routes_and_its_signers_are_routed_again(
    small_directory, petition
):
    seoul = confirmed(petition, 1, city="Seoul", region="KR-11", country="KR")
    route_petition(petition)
    Mission.objects.get(key="e-kr").delete()
    assert route_of(seoul) == (None, "")
    route_petition(petition)
    assert route_of(seoul)[0] == small_directory["cg-busan"]


def test_the_task_after_confirmations_routes_only_its_window_and_the_sweep_the_rest(
    small_directory, petition
):
    recent = confirmed(petition, 1)
    earlier = confirmed(petition, 2, confirmed_at=timezone.now() - dt.timedelta(hours=1))
    held = confirmed(petition, 3, review_reason="throttled")
    window = timezone.now() - tasks.RECENT
    assert route_petition(petition, confirmed_since=window).routed == 1
    assert route_of(recent)[0] == small_directory["cg-chicago"]
    assert route_of(earlier) == route_of(held) == (None, "")
    # The worker's housekeeping sweep finds every other signature without a route.
    assert route_pending() == 2
    assert route_of(earlier)[0] == route_of(held)[0] == small_directory["cg-chicago"]


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_queues_a_task_for_its_window(small_directory, petition):
    signature = confirmed(petition, 1, status="pending", confirmed_at=None)
    assert services.confirm(signature)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith=".route_signatures")
    since = dt.datetime.fromisoformat(queued.args_kwargs["kwargs"]["confirmed_since"])
    assert timezone.now() - tasks.RECENT - dt.timedelta(seconds=5) < since < timezone.now()
    run_tasks()
    assert route_of(signature)[0] == small_directory["cg-chicago"]


def test_a_route_must_name_a_known_placement(small_directory, petition):
    signature = confirmed(petition, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SignatureRoute.objects.create(signature=signature, placement="")


@pytest.mark.django_db(transaction=True)
def test_a_signature_erased_while_its_batch_is_routed_gets_no_route(small_directory, petition):
    kept, erased = confirmed(petition, 1), confirmed(petition, 2)
    batch = {(small_directory["cg-chicago"], "city"): [kept.pk, erased.pk]}
    # Read for routing, then erased before the routes are written: the first write
    # fails on the foreign key at its commit, and the batch goes in without it.
    Signature.objects.filter(pk=erased.pk).delete()
    assert routing._write_routes(batch) == 1
    assert route_of(kept) == (small_directory["cg-chicago"], "city")
    assert list(SignatureRoute.objects.values_list("signature_id", flat=True)) == [kept.pk]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_routes_kept_on_the_signatures_into_their_table(
    small_directory, petition
):
    """Upgrading keeps every route; undoing the migration puts them back."""
    chicago = confirmed(petition, 1)
    unrouted = confirmed(petition, 2)
    mission_id = small_directory["cg-chicago"]
    before = [
        ("directory", "0003_mission_names"),
        ("signatures", "0013_campaignstats_confirm_bounces"),
    ]
    after = [("directory", "0004_routes_apart"), ("signatures", "0014_routes_apart")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        old = executor.loader.project_state(before).apps.get_model("signatures", "Signature")
        old.objects.filter(pk=chicago.pk).update(mission_id=mission_id, placement="region")
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert route_of(chicago) == (mission_id, "region")
        assert route_of(unrouted) == (None, "")

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        executor.loader.build_graph()
        old = executor.loader.project_state(before).apps.get_model("signatures", "Signature")
        assert set(old.objects.values_list("pk", "mission_id", "placement")) == {
            (chicago.pk, mission_id, "region"),
            (unrouted.pk, None, ""),
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
