"""The beneficiary import: a province's lists (people, their cards, their last checks) read
from CSV or XLSX, checked row by row with the API's own rules, and written in batches."""
