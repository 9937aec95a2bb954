"""A client an integrator would write, on the Python client generated from openapi.json.

CI (.ci/run) generates `veteran_care_client` with openapi-python-client into a temporary
directory, type-checks this script and the package with `mypy --strict`, and runs it against the
server that schemathesis fuzzes:

    python clients/python/smoke.py http://127.0.0.1:8000 USERNAME PASSWORD

It logs in, lists the registry's first page and reads its first beneficiary; it exits non-zero
when any answer is not what the document promises.
"""

import sys

from veteran_care_client import AuthenticatedClient, Client
from veteran_care_client.api.beneficiaries import get_beneficiary, list_beneficiaries
from veteran_care_client.api.identity import issue_token
from veteran_care_client.models import (
    BeneficiaryRead,
    PageBeneficiarySummary,
    Token,
    TokenRequest,
)


def main(base_url: str, username: str, password: str) -> int:
    with Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        token = issue_token.sync(
            client=anonymous, body=TokenRequest(username=username, password=password)
        )
    if not isinstance(token, Token):
        print(f"login refused: {token}", file=sys.stderr)
        return 1
    with AuthenticatedClient(
        base_url=base_url, token=token.access_token, raise_on_unexpected_status=True
    ) as client:
        page = list_beneficiaries.sync(client=client, limit=5)
        if not isinstance(page, PageBeneficiarySummary) or not page.items:
            print(f"no beneficiaries listed: {page}", file=sys.stderr)
            return 1
        first = page.items[0]
        person = get_beneficiary.sync(first.id, client=client)
        if not isinstance(person, BeneficiaryRead) or person.id != first.id:
            print(f"could not read beneficiary {first.id}: {person}", file=sys.stderr)
            return 1
    print(f"logged in, listed {len(page.items)} beneficiaries, read {person.id} ({person.status})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} BASE_URL USERNAME PASSWORD")
    sys.exit(main(*sys.argv[1:]))
