"""Vendor due diligence: vendors, scorecard templates, evaluations (PRODUCT.md, vendors/).

Not yet installed; it will plug into `accounts.access` and the report registry the way
`engagements` and `reports` do (docs/architecture.md).
"""
