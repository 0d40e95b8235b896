"""DeleteIdentities in the emulator (moto lacks it): what `make verify` removes after a run."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.functional.local.support import UserPool, World


@pytest.fixture(scope="module")
def pool_and_identity_pool(world: World) -> tuple[UserPool, str]:
    pool = world.user_pool()
    return pool, world.identity_pool(user_pools=(pool,))


def _identity(world: World, pool: UserPool, identity_pool_id: str, user: str) -> str:
    token = world.sign_in(pool, user)["IdToken"]
    logins = {pool.provider: token}
    return str(world.identity.get_id(IdentityPoolId=identity_pool_id, Logins=logins)["IdentityId"])


def test_a_deleted_identity_is_gone_and_its_login_gets_a_new_one(
    world: World, pool_and_identity_pool: tuple[UserPool, str]
) -> None:
    pool, identity_pool_id = pool_and_identity_pool
    alice, bob = world.user(pool), world.user(pool)
    first = _identity(world, pool, identity_pool_id, alice)
    kept = _identity(world, pool, identity_pool_id, bob)

    answer = world.identity.delete_identities(IdentityIdsToDelete=[first])

    assert answer["UnprocessedIdentityIds"] == []
    listed = {
        i["IdentityId"]
        for i in world.identity.list_identities(IdentityPoolId=identity_pool_id, MaxResults=60)["Identities"]
    }
    assert first not in listed
    assert kept in listed
    again = _identity(world, pool, identity_pool_id, alice)
    assert again != first, "the login was unlinked from the deleted identity"
    with pytest.raises(ClientError) as excinfo:
        world.identity.get_credentials_for_identity(IdentityId=first)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_unknown_but_well_formed_id_is_processed(world: World) -> None:
    answer = world.identity.delete_identities(
        IdentityIdsToDelete=["us-east-1:00000000-0000-0000-0000-000000000000"]
    )
    assert answer["UnprocessedIdentityIds"] == []


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        (["not-an-identity-id"], "regular expression pattern"),
        ([f"us-east-1:{i:08x}-0000-0000-0000-000000000000" for i in range(61)], "less than or equal to 60"),
    ],
    ids=["malformed", "too-many"],
)
def test_bad_input_is_a_validation_error_and_deletes_nothing(
    world: World, pool_and_identity_pool: tuple[UserPool, str], ids: list[str], fragment: str
) -> None:
    pool, identity_pool_id = pool_and_identity_pool
    survivor = _identity(world, pool, identity_pool_id, world.user(pool))
    with pytest.raises(ClientError) as excinfo:
        world.identity.delete_identities(IdentityIdsToDelete=[*ids, survivor])
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert fragment in error["Message"]
    listed = world.identity.list_identities(IdentityPoolId=identity_pool_id, MaxResults=60)["Identities"]
    assert survivor in {i["IdentityId"] for i in listed}
