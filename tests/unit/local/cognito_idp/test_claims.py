"""cognito:groups / cognito:roles / cognito:preferred_role, per Cognito's documented precedence rule."""

from __future__ import annotations

from local.cognito_idp.claims import GroupInfo, group_claims, preferred_role, role_arns

A, B, C = (f"arn:aws:iam::123456789012:role/{n}" for n in "abc")


def test_lowest_precedence_wins() -> None:
    groups = [GroupInfo("vet", B, 10), GroupInfo("admin", A, 1), GroupInfo("users", C, 20)]
    assert preferred_role(groups) == A
    assert role_arns(groups) == [A, B, C]


def test_tie_with_different_roles_has_no_preferred_role() -> None:
    assert preferred_role([GroupInfo("x", A, 5), GroupInfo("y", B, 5), GroupInfo("z", C, 9)]) is None


def test_tie_with_the_same_role_prefers_that_role() -> None:
    assert preferred_role([GroupInfo("x", A, 5), GroupInfo("y", A, 5), GroupInfo("z", B, 9)]) == A


def test_group_without_precedence_ranks_below_every_numbered_group() -> None:
    assert preferred_role([GroupInfo("unranked", A, None), GroupInfo("ranked", B, 50)]) == B


def test_groups_without_precedence_tie_among_themselves() -> None:
    assert preferred_role([GroupInfo("x", A, None), GroupInfo("y", B, None)]) is None


def test_one_distinct_role_is_preferred_whatever_the_precedences() -> None:
    assert preferred_role([GroupInfo("x", A, None), GroupInfo("y", A, 3)]) == A
    assert preferred_role([GroupInfo("only", A, None)]) == A


def test_groups_without_roles_do_not_count() -> None:
    groups = [GroupInfo("top", None, 0), GroupInfo("vet", B, 10)]
    assert preferred_role(groups) == B
    assert role_arns(groups) == [B]


def test_claims_are_omitted_when_empty() -> None:
    assert group_claims([]) == {}
    assert group_claims([GroupInfo("readers", None, 1)]) == {"cognito:groups": ["readers"]}


def test_full_claims_are_ordered_by_precedence_and_deduplicated() -> None:
    claims = group_claims(
        [GroupInfo("b", B, 2), GroupInfo("a2", A, 1), GroupInfo("a1", A, 1), GroupInfo("n", None, None)]
    )
    assert claims == {
        "cognito:groups": ["a1", "a2", "b", "n"],
        "cognito:roles": [A, B],
        "cognito:preferred_role": A,
    }
