"""Whether and what to outsource: fit assessment, scoping matrix, data readiness
(PRODUCT.md, scoping/).

Not yet installed; it will plug into `accounts.access` and the report registry the way
`engagements` and `reports` do (docs/architecture.md).
"""
