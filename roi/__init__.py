"""ROI and total cost of ownership: costs, benefits, cash flow, scenarios (PRODUCT.md, roi/).

Not yet installed; it will plug into `accounts.access` and the report registry the way
`engagements` and `reports` do (docs/architecture.md).
"""
