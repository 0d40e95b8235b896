"""checkov custom checks for this product (ids `CKV_FGA_<n>`, documented in README.md here).

checkov loads every `.py` file of this directory as a top-level module named after the file
(`--external-checks-dir tools/checkov_checks`), so each check file is self-contained and carries a
`fga_` prefix that cannot collide with another module name.
"""
