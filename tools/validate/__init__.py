"""Validation that can fail, one module per concern (`make checkov`, `make workflows`):

- `policies`: every policy template rendered for every environment (`tools.render`), checked by
  checkov (built-ins + CKV_FGA_1..4 over a generated wrapper) and parliament;
- `terraform`: checkov over `terraform/` with the committed `.checkov.yaml` (built-ins +
  CKV_FGA_5..8), every skip with a reason;
- `workflows`: `.github/workflows/*.yml` against the GitHub schema (offline) and the pipeline's
  invariants;
- `checkov_run`: running checkov once and reading its report (used by the first two).

`python -m tools.validate checkov|workflows` is the command line (`__main__.py`). Every failure is a
`Problem`, printed as `<file>[:line]: [<rule>] <message>`, and makes the exit status non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One failure: where, which rule, what is wrong."""

    location: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}"
