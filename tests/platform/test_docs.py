"""The documentation stands alone: the README, CHANGELOG and docs/ link nothing outside the
repository, every relative link and image resolves to a file in it, and every role has a guide.

A reader of a checked-out copy (or of an offline mirror) must find everything the documents
point to; a link to the internet can rot or change under us, and an image that is not in the
repository shows as a broken icon. Screenshots under docs/screenshots/ are produced by the
end-to-end tests and committed; a missing one fails here on purpose, so the README never shows a
broken picture.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

from accounts.models import Agency
from accounts.roles import Role
from forums.models import Membership

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "guide"

# A URL in prose or code may name only the user's own machine or a documentation placeholder
# (example.*): neither is a resource outside the repository.
LOCAL_HOSTS = re.compile(
    r"^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$|(^|\.)example\.[a-z]+(:\d+)?$", re.IGNORECASE
)
URL = re.compile(r"\b(?:https?|ftp)://([^/\s)`'\"<>\]]+)[^\s)`'\"<>\]]*", re.IGNORECASE)
BARE_WWW = re.compile(r"(?<![\w./-])www\.[a-z0-9-]+\.[a-z]{2,}", re.IGNORECASE)
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1", re.DOTALL)
MD_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
HTML_REF = re.compile(r"<(?:a|img|source)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.IGNORECASE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
WEB_SCHEMES = ("http://", "https://", "ftp://", "mailto:")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def markdown_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [path for path in files if path.is_file()]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def without_code(text: str) -> str:
    """The text a reader sees as prose: fenced blocks and inline code removed (a URL there is
    an example or a command, not a link — it is checked separately)."""
    return INLINE_CODE.sub(" ", FENCE.sub("\n", text))


def link_targets(text: str) -> list[str]:
    prose = without_code(text)
    return [
        *MD_LINK.findall(prose),
        *REF_DEF.findall(prose),
        *HTML_REF.findall(prose),
    ]


def github_slug(heading: str) -> str:
    """The anchor a heading gets when the Markdown is rendered (GitHub's rule: lower case,
    punctuation dropped, letters of any script kept, spaces to hyphens)."""
    text = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in {"L", "N"})
    return kept.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("\n", path.read_text(encoding="utf-8"))):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def outside_links(text: str) -> list[str]:
    """Every reference in a Markdown text to something outside the repository."""
    # Code counts too: a URL in a command or a setting is as much a dependency as a link.
    found = [m.group(0) for m in URL.finditer(text) if not LOCAL_HOSTS.search(m.group(1))]
    found += BARE_WWW.findall(without_code(text))
    # Any other scheme (file:, data:, javascript: ...) in a link; a mail address is a contact.
    found += [
        target
        for target in link_targets(text)
        if SCHEME.match(target) and not target.lower().startswith(WEB_SCHEMES)
    ]
    return found


@pytest.mark.parametrize("path", markdown_files(), ids=_rel)
def test_no_link_leaves_the_repository(path: Path) -> None:
    outside = outside_links(path.read_text(encoding="utf-8"))
    assert outside == [], f"{_rel(path)} points outside the repository"


def test_outside_links_are_recognised() -> None:
    flagged = [
        "[DKFDS](https://designsystem.dk/)",
        "see <https://github.com/owner/repo>",
        "plain https://www.retsinformation.dk/eli/lta/2023/1655 in prose",
        "bare www.datatilsynet.dk in prose",
        "`pip install https://example.org.evil.dk/pkg.tar.gz`",
        "![logo](file:///etc/logo.png)",
        '<img src="http://cdn.example.net.dk/x.png">',
    ]
    for text in flagged:
        assert outside_links(text) != [], text
    allowed = [
        "serves http://127.0.0.1:8000 and `http://localhost:8000/healthz/`",
        "`SITE_URL=https://tvaers.example.dk`",
        "[README](../README.md), [anchor](#who-sees-what), mail kontakt@kk.dk",
        "`redis://127.0.0.1:6379/0` and `postgres://user:pass@host:5432/tvaers`",
    ]
    for text in allowed:
        assert outside_links(text) == [], text


@pytest.mark.parametrize("path", markdown_files(), ids=_rel)
def test_every_relative_link_and_image_resolves(path: Path) -> None:
    broken = []
    for target in link_targets(path.read_text(encoding="utf-8")):
        if SCHEME.match(target):
            continue  # external or mail: the test above judges those
        file_part, _, fragment = unquote(target).partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target} (no such file)")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors_of(resolved):
            broken.append(f"{target} (no such heading)")
    assert broken == [], f"{_rel(path)} has links that do not resolve"


def test_the_slug_rule_matches_the_renderer() -> None:
    assert github_slug("Who sees what") == "who-sees-what"
    assert github_slug("Retention, deletion and the person's rights") == (
        "retention-deletion-and-the-persons-rights"
    )
    assert github_slug("Når personen fylder 18") == "når-personen-fylder-18"
    assert github_slug("§ 115, stk. 2") == "-115-stk-2"


# Every kind of user Tværs knows, from the code: the system roles (groups), the roles of a
# forum membership and the police, whose purpose lock (§ 115, stk. 2) makes a role of its own.
GUIDE_OF = {
    Role.COORDINATOR: "coordinator",
    Role.MEMBER: "member",
    Role.DPO: "dpo",
    Role.ADMIN: "administrator",
    Role.COUNCIL: "council",
    Membership.Role.CHAIR: "chair",
    Membership.Role.COORDINATOR: "coordinator",
    Membership.Role.MEMBER: "member",
    Agency.Kind.POLITI: "police",
}


def test_every_role_has_a_guide() -> None:
    known_roles = {*Role.values, *Membership.Role.values, Agency.Kind.POLITI}
    assert known_roles <= {str(role) for role in GUIDE_OF}, "a new role needs a guide"
    missing = [
        name
        for name in sorted(set(GUIDE_OF.values()))
        if not (GUIDES / f"{name}.md").is_file()
        or len((GUIDES / f"{name}.md").read_text(encoding="utf-8")) < 1500
    ]
    assert missing == []


def test_the_guides_and_the_architecture_are_linked_from_the_readme_and_the_index() -> None:
    readme = link_targets((ROOT / "README.md").read_text(encoding="utf-8"))
    index = link_targets((GUIDES / "index.md").read_text(encoding="utf-8"))
    for name in sorted(set(GUIDE_OF.values())):
        assert f"docs/guide/{name}.md" in readme
        assert f"{name}.md" in index
    assert "docs/architecture.md" in readme
    assert "docs/guide/index.md" in readme


SCREENSHOTS = [
    "start-coordinator",
    "concern-form",
    "person",
    "session",
    "plan",
    "my-tasks",
    "audit",
    "council-statistics",
]


def test_the_readme_shows_the_screenshots() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = {t for t in MD_LINK.findall(without_code(readme)) if t.startswith("docs/screenshots/")}
    assert shown == {f"docs/screenshots/{name}.png" for name in SCREENSHOTS}
