"""Does the contract speak for exactly what the configuration has?

Every configured route needs an entry (with the same method, path and auth), every group a user of
its own, every machine client of the model an entry of its own under `machines`, and the contract
needs a user of each kind (no group, several groups, external IdP) and a machine client the model
does not declare; a route the configuration does not have is refused too.
"""

from __future__ import annotations

from tools.config import EnvConfig
from tools.contract.machines import MACHINES
from tools.contract.model import Contract


def coverage_problems(contract: Contract, cfg: EnvConfig) -> list[str]:
    """What the configuration has and the contract does not speak for (or the reverse)."""
    problems: list[str] = []
    for name in sorted(set(cfg.routes) - set(contract.routes)):
        r = cfg.routes[name]
        problems.append(f"route {name} ({r.method} {r.path} [{r.auth}]) has no entry in {contract.source}")
    for name in sorted(set(contract.routes) - set(cfg.routes)):
        problems.append(
            f"{contract.source} promises route {name}, which {cfg.environment} does not configure"
        )
    for name in sorted(set(cfg.routes) & set(contract.routes)):
        r, p = cfg.routes[name], contract.routes[name]
        if (r.method, r.path, r.auth) != (p.method, p.path, p.auth):
            problems.append(
                f"route {name}: configured {r.method} {r.path} [{r.auth}], "
                f"contract says {p.method} {p.path} [{p.auth}]"
            )
    users = contract.users(contract.default_mapping)
    for user in users.values():
        for group in user.groups:
            if group not in cfg.groups:
                problems.append(f"user {user.name}: group {group} is not configured in {cfg.environment}")
    single = {u.groups[0] for u in users.values() if len(u.groups) == 1 and not u.external}
    for group in sorted(set(cfg.groups) - single):
        problems.append(f"group {group} has no user of its own in {contract.source}")
    kinds = {
        "no group": [u for u in users.values() if not u.groups and not u.external],
        "several groups": [u for u in users.values() if len(u.groups) > 1],
        "external IdP user": [u for u in users.values() if u.external],
    }
    problems.extend(
        f"{contract.source} has no user with {kind}" for kind, found in kinds.items() if not found
    )
    machines = contract.section(MACHINES)
    declared = {m.name for m in machines.values() if m.declared}
    for name in sorted(set(cfg.machine_clients) - declared):
        problems.append(f"machine client {name} has no entry (declared: true) in {contract.source}")
    for name in sorted(declared - set(cfg.machine_clients)):
        problems.append(
            f"{contract.source} promises machine client {name}, which {cfg.environment} does not declare"
        )
    if not any(not m.declared for m in machines.values()):
        problems.append(f"{contract.source} has no machine client the model does not declare")
    return problems
