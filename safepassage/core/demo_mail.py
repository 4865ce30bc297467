"""Reading the mail that Django's file e-mail backend wrote, for the demo only."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

SEPARATOR = "-" * 79


@dataclass(frozen=True)
class DemoMail:
    key: str
    subject: str
    to: str
    date: str
    text: str


def read_mailbox(directory: Path, limit: int = 50) -> list[DemoMail]:
    """Newest first. Each file holds the messages of one SMTP connection."""
    if not directory.is_dir():
        return []
    found: list[DemoMail] = []
    for path in sorted(directory.glob("*.log"), reverse=True):
        chunks = path.read_text(encoding="utf-8", errors="replace").split(f"\n{SEPARATOR}\n")
        for index, chunk in reversed(list(enumerate(chunks))):
            if not chunk.strip():
                continue
            parsed = email.message_from_string(chunk.lstrip("\n"), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            body = parsed.get_body(preferencelist=("plain",))
            found.append(
                DemoMail(
                    key=f"{path.stem}-{index}",
                    subject=str(parsed.get("Subject", "")),
                    to=str(parsed.get("To", "")),
                    date=str(parsed.get("Date", "")),
                    text=body.get_content() if isinstance(body, EmailMessage) else "",
                )
            )
            if len(found) >= limit:
                return found
    return found
