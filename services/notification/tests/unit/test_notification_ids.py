"""Notification ids: one per link, the same every time that link is seen."""

import uuid

from notification.domain.ids import notification_id, welcome_id


def test_the_same_link_always_gets_the_same_id() -> None:
    assert notification_id("inv-1", 1) == notification_id("inv-1", 1)


def test_each_link_of_an_invitation_gets_its_own_id() -> None:
    assert notification_id("inv-1", 1) != notification_id("inv-1", 2)
    assert notification_id("inv-1", 1) != notification_id("inv-2", 1)


def test_it_is_a_name_based_uuid() -> None:
    assert uuid.UUID(notification_id("inv-1", 1)).version == 5
    assert notification_id("inv-1", 1) == str(uuid.uuid5(uuid.NAMESPACE_URL, "inv-1/1"))


def test_a_welcome_is_one_per_account_and_apart_from_the_links() -> None:
    assert welcome_id("acc-1") == welcome_id("acc-1")
    assert welcome_id("acc-1") != welcome_id("acc-2")
    assert uuid.UUID(welcome_id("acc-1")).version == 5
    assert welcome_id("inv-1") != notification_id("inv-1", 1)
