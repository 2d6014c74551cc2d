"""No two console actions share a key or an id: a clash would silently run only one of them."""

from __future__ import annotations

from console.bindings import ACTIONS


def test_every_key_and_every_id_belongs_to_one_action() -> None:
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids)), ids
    owner: dict[str, str] = {}
    for a in ACTIONS:
        for key in a.key.split(","):
            assert key not in owner, f"{key} is bound to {owner.get(key)} and {a.id}"
            owner[key] = a.id
    actions = [a.action for a in ACTIONS]
    assert len(actions) == len(set(actions)), actions
