"""The live access matrix: the access contract checked cell by cell against a running deployment.

One engine for `make up`'s matrix (local/matrix.py), the end-to-end contract test
(tests/e2e/test_matrix.py) and `make verify ENV=<env>`; it talks to the emulator or to AWS alike,
so it lives in tools/ (which never imports local/), and local/ plugs in what only the emulator can do
(local/verify_hooks.py).

- `session.py`: a caller (sign-in, identity-pool credentials, SigV4, the call of one route);
- `principals.py`: the run's own users, named and removable (and `totp.py` for pools requiring MFA);
- `records.py`: the items the run's write probes aim at, and removing what the run stored;
- `probes.py`: the request for one contract cell and the verdict on its answer;
- `engine.py`: a run (sweep, create, probe, remove, check nothing is left);
- `report.py`: the cells and the printed matrix; `target.py`: what a run is pointed at;
- `cli.py`, `__main__.py`: `python -m tools.live --env <env>`.
"""
