"""A small OSDI client, as a partner's tool would be: start at the entry point, follow links.

It knows only the OSDI shapes, nothing of safepassage: from the API entry
point (AEP) it follows ``osdi:petitions``, each petition's
``osdi:signatures`` and ``osdi:people``, every collection page by page
through ``next`` until there is none, and checks on the way that every
answer is HAL JSON as OSDI describes it:

- ``Content-Type: application/hal+json``;
- every resource has ``_links.self.href``, ``identifiers`` and the dates;
- every collection page has ``page``, ``per_page``, ``total_pages`` and
  ``total_records`` (integers, consistent with each other), ``_links``
  with ``self``, the ``osdi`` curie, ``next``/``prev`` exactly where pages
  follow or precede, and ``_embedded`` with the collection's array, whose
  links are listed under the same relation in ``_links``.

``fetch`` is any function from an absolute URL to (status, content type,
parsed JSON): the Django test client or a real HTTP request.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Fetch = Callable[[str], tuple[int, str, Any]]

PAGE_FIELDS = ("page", "per_page", "total_pages", "total_records")


class ShapeError(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ShapeError(message)


def http_fetch(token: str) -> Fetch:
    """A fetch over real HTTP, with the OSDI token header."""

    def fetch(url: str) -> tuple[int, str, Any]:
        request = urllib.request.Request(url, headers={"OSDI-API-Token": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
            return response.status, response.headers.get("Content-Type", ""), json.loads(body)

    return fetch


def django_fetch(client: Any, token: str) -> Fetch:
    """A fetch through the Django test client (absolute URLs of http://testserver)."""

    def fetch(url: str) -> tuple[int, str, Any]:
        path = url.removeprefix("http://testserver")
        response = client.get(path, headers={"OSDI-API-Token": token})
        return response.status_code, response["Content-Type"], json.loads(response.content)

    return fetch


@dataclass
class Walk:
    """What the client read."""

    petitions: list[dict[str, Any]] = field(default_factory=list)
    signatures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    people: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    attendances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pages: int = 0
    urls: list[str] = field(default_factory=list)


class Client:
    def __init__(self, fetch: Fetch, walk: Walk | None = None) -> None:
        self.fetch = fetch
        self.walk = walk or Walk()

    def get(self, url: str) -> Any:
        status, content_type, body = self.fetch(url)
        self.walk.urls.append(url)
        check(status == 200, f"{url}: status {status}")
        check(content_type.startswith("application/hal+json"), f"{url}: {content_type}")
        check(isinstance(body, dict), f"{url}: not an object")
        return body

    @staticmethod
    def resource(item: Any, where: str) -> None:
        check(isinstance(item, dict), f"{where}: an item is not an object")
        links = item.get("_links")
        check(isinstance(links, dict), f"{where}: no _links")
        check(isinstance(links.get("self", {}).get("href"), str), f"{where}: no self link")
        ids = item.get("identifiers")
        check(isinstance(ids, list) and all(":" in i for i in ids), f"{where}: identifiers")
        check("created_date" in item and "modified_date" in item, f"{where}: dates")

    def collection(self, url: str, rel: str) -> list[dict[str, Any]]:
        """Every item of a collection, following ``next`` to the end."""
        items: list[dict[str, Any]] = []
        expected_page = 1
        total_records: int | None = None
        while True:
            body = self.get(url)
            self.walk.pages += 1
            for name in PAGE_FIELDS:
                check(isinstance(body.get(name), int), f"{url}: {name} missing")
            page, per_page, pages = body["page"], body["per_page"], body["total_pages"]
            check(page == expected_page, f"{url}: page {page}, expected {expected_page}")
            check(pages >= 1 and page <= pages, f"{url}: page {page} of {pages}")
            total_records = body["total_records"] if total_records is None else total_records
            check(body["total_records"] == total_records, f"{url}: total changed while paging")
            check(
                pages == max(1, -(-total_records // per_page)),
                f"{url}: {pages} pages for {total_records} by {per_page}",
            )
            links = body.get("_links", {})
            check(links.get("self", {}).get("href", "").startswith("http"), f"{url}: self")
            check(any(c.get("name") == "osdi" for c in links.get("curies", [])), f"{url}: curie")
            check(("next" in links) == (page < pages), f"{url}: next link where pages follow")
            check(("prev" in links) == (page > 1), f"{url}: prev link where pages precede")
            embedded = body.get("_embedded", {}).get(rel)
            check(isinstance(embedded, list), f"{url}: _embedded.{rel} is not an array")
            check(len(embedded) <= per_page, f"{url}: more items than per_page")
            if page < pages:
                check(len(embedded) == per_page, f"{url}: a short page before the last")
            for item in embedded:
                self.resource(item, url)
            listed = [link.get("href") for link in links.get(rel, [])]
            check(
                listed == [item["_links"]["self"]["href"] for item in embedded],
                f"{url}: _links.{rel} differs from the embedded items",
            )
            items += embedded
            if "next" not in links:
                break
            url = links["next"]["href"]
            expected_page += 1
        check(len(items) == total_records, f"{rel}: {len(items)} items, {total_records} said")
        return items

    def run(self, aep_url: str) -> Walk:
        """AEP -> petitions -> signatures; AEP -> people; AEP -> events -> attendances."""
        aep = self.get(aep_url)
        links = aep.get("_links", {})
        check(links.get("self", {}).get("href") == aep_url, "AEP: self link")
        for rel in ("osdi:petitions", "osdi:people", "osdi:events"):
            check(isinstance(links.get(rel, {}).get("href"), str), f"AEP: no {rel}")
        check(isinstance(aep.get("max_pagesize"), int), "AEP: max_pagesize")
        walk = self.walk
        walk.petitions = self.collection(links["osdi:petitions"]["href"], "osdi:petitions")
        for petition in walk.petitions:
            href = petition["_links"]["osdi:signatures"]["href"]
            signatures = self.collection(href + "?per_page=2", "osdi:signatures")
            for signature in signatures:
                check("osdi:petition" in signature["_links"], "signature: no osdi:petition")
            walk.signatures[petition["_links"]["self"]["href"]] = signatures
        walk.people = self.collection(links["osdi:people"]["href"] + "?per_page=2", "osdi:people")
        for person in walk.people:
            for address in person.get("email_addresses", []):
                check("@" in address.get("address", ""), "person: an address without @")
        walk.events = self.collection(links["osdi:events"]["href"], "osdi:events")
        for event in walk.events:
            href = event["_links"]["osdi:attendances"]["href"]
            walk.attendances[event["_links"]["self"]["href"]] = self.collection(
                href, "osdi:attendances"
            )
        # Every person a signature or attendance links to is one the people list holds.
        people = {person["_links"]["self"]["href"] for person in walk.people}
        actions = [s for rows in walk.signatures.values() for s in rows]
        actions += [a for rows in walk.attendances.values() for a in rows]
        for action in actions:
            person = action["_links"].get("osdi:person")
            if person is not None:
                check(person["href"] in people, f"{person['href']}: not among the people")
        return walk
