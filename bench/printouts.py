"""The printouts of a 300-person session: every slip in one PDF (target < 2 s) and the day list
(target < 1 s), laid out from their content (the database reads before are a few set-based
queries, measured by the test suite's timings, not here).

    .venv/bin/python bench/printouts.py [--people 300] [--rounds 5]

Prints the best and the median of the rounds for each; the first round of the process pays the
font loading and imports once, as a worker does on its first printout.
"""

import argparse
import statistics
import time
import uuid
from datetime import date

from veteran_care.printouts import daylist, slip_token, slips
from veteran_care.printouts.content import DayList, DayListRow, Slip

NAMES = ("Nguyễn Văn Ấn", "Lò Thị Ánh Tuyết", "Quàng Văn Ún", "Đặng Thị Hồng Nhung", "Vì Văn Sáng")


def _slips(people: int) -> list[Slip]:
    return [
        Slip(
            full_name=f"{NAMES[n % len(NAMES)]} {n}",
            birth_year=1940 + n % 20,
            national_id="********" + str(1000 + n)[-4:],
            card_number="***********" + str(2000 + n)[-4:],
            facility_name="Bệnh viện Đa khoa tỉnh Điện Biên",
            facility_address="Phường Mường Thanh",
            date=date(2027, 7, 27),
            part_of_day="morning",
            specialties=["Siêu âm", "Điện tim", "Mắt", "Nội khoa"],
            token=slip_token.sign("bench", uuid.uuid4()),
            campaign_name="Khám sức khỏe dịp 27/7/2027",
        )
        for n in range(people)
    ]


def _day_list(people: int) -> DayList:
    rows = [
        DayListRow(
            n + 1,
            f"{NAMES[n % len(NAMES)]} {n}",
            1940 + n % 20,
            "Xã Mường Phăng",
            "Thương binh, Cựu chiến binh",
            "*******" + str(5000 + n)[-4:],
        )
        for n in range(people)
    ]
    return DayList(
        "Bệnh viện Đa khoa tỉnh Điện Biên", "Siêu âm", date(2027, 7, 27), "morning", rows
    )


def _time(work: object, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    content = _slips(args.people)
    listed = _day_list(args.people)
    for name, work, target in (
        ("slips", lambda: slips.render(content, "vi"), 2.0),
        ("day list", lambda: daylist.render(listed, "vi"), 1.0),
    ):
        seconds = _time(work, args.rounds)
        size = len(work())
        print(
            f"{name} of {args.people}: first {seconds[0]:.2f} s, best {min(seconds):.2f} s, "
            f"median {statistics.median(seconds):.2f} s (target < {target:.0f} s), "
            f"{size // 1024} KiB"
        )


if __name__ == "__main__":
    main()
