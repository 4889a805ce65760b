"""Site clutter: the text a web page puts around an article, recognised by general rules.

Nothing here lists the lines of a particular article. The rules:

* **UI vocabulary** — a short line whose every word belongs to the vocabulary of page widgets
  ("Upvote Downvote", "Share Tweet Pin", "Menu", "logo", a stray "in" left by a LinkedIn icon);
* **vote and reaction counts** — "-1 Points", "+12 votes", "3 likes";
* **comment counts** — "4 Comments", "Comments (12)", "No Comments", "One Response";
* **comment-form text** — "Leave a Reply", "Your email address will not be published",
  "Required fields are marked *", "Save my name, email, and website …", "Post Comment";
* **share and follow prompts** — "Share this:", "Share on Facebook", "Click to share …",
  "Follow us on …", "Subscribe to our newsletter";
* **lines without words** — separators, bullets, icons, page numbers.

``related_list_start`` recognises the heading of a list of links to other stories ("Related
posts:", "You may also like"), ``author_link`` the last line of an author box ("View all posts",
"More from NAME", "Follow NAME on X").

``section_end`` recognises where a comments or related-posts section starts, so that what
follows it (commenters' text) does not reach the record either.
"""

from __future__ import annotations

import re

UI_WORDS = frozenset(
    """upvote upvotes downvote downvotes vote votes voting like likes liked dislike unlike
    share shares shared sharing tweet retweet pin pinit email e-mail print reply replies comment
    comments follow following followers subscribe unsubscribe logo menu search login logout
    signin signup register home next previous prev back top more advertisement advertisements
    sponsored ad ads promoted related popular trending tags tag categories category archives
    facebook twitter x pinterest whatsapp reddit linkedin instagram telegram tumblr youtube
    tiktok flipboard messenger copy link cancel submit post posts close skip content cookies
    accept decline points point reactions reaction views view save saved bookmark loading
    toggle navigation nav sidebar widget newsletter rss feed sign log up in out icon button
    click tap read continue reading load show hide expand collapse""".split()  # noqa: SIM905
)
_GLUE = frozenset({"to", "on", "the", "a", "this", "via", "and", "or", "with", "us", "of", "&"})

_PATTERNS = [
    (
        "vote count",
        r"[-+−]?\d[\d,.]*\s*(?:points?|votes?|likes?|upvotes?|downvotes?|reactions?"
        r"|shares?|views?|pins?|loves?|claps?)",
    ),
    (
        "comment count",
        r"(?:\d+|no|one|zero)\s+(?:comments?|responses?|replies|thoughts?)"
        r"(?:\s+(?:on|to)\b.*)?",
    ),
    ("comment count", r"comments?\s*[(\[]?\s*\d+\s*[)\]]?"),
    (
        "comment form",
        r"leave\s+a\s+(?:reply|comment|response)(?:\s+to\s+.*)?|cancel\s+reply"
        r"|post\s+(?:a\s+)?comment|add\s+(?:a\s+)?comment|write\s+a\s+comment|join\s+the\s+discussion",
    ),
    ("comment form", r"your\s+email\s+address\s+will\s+not\s+be\s+published.*"),
    ("comment form", r"required\s+fields\s+are\s+marked.*|(?:name|email|website|comment)\s*\*"),
    (
        "comment form",
        r"save\s+my\s+name,?\s+email,?\s+and\s+website.*"
        r"|notify\s+me\s+of\s+(?:follow-?up|new)\s+(?:comments|posts).*"
        r"|you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment.*"
        r"|this\s+site\s+uses\s+akismet.*",
    ),
    (
        "share prompt",
        r"(?:share|like|pin)\s+(?:this|it)(?:\s+(?:article|post|story|page|photo"
        r"|gallery|on\s+\w+))?\s*[:!?]?|share\s+on\s+\w+.*|click\s+to\s+(?:share|print|email).*"
        r"|spread\s+the\s+word.*|(?:follow|find|like|join)\s+us\s+on\b.*|share\s*:",
    ),
    (
        "share prompt",
        r"subscribe\s+to\s+(?:our|the)\s+newsletter.*|sign\s+up\s+for\s+our\s+\w+.*"
        r"|like\s+loading\.*|loading\.\.\.",
    ),
    (
        "page furniture",
        r"posted\s+in\s+.{1,60}|filed\s+under\s+.{1,60}|tags?\s*:.*"
        r"|categor(?:y|ies)\s*:.*|(?:previous|next)\s+(?:post|article|story|page)\b.*"
        r"|(?:you\s+(?:may|might)\s+also\s+like|related\s+(?:posts|articles|stories)|read\s+more"
        r"|more\s+from\s+.{1,40}|recommended\s+for\s+you|advertisement|sponsored\s+content)\s*:?"
        r"|skip\s+to\s+(?:main\s+)?content|all\s+rights\s+reserved.*|©\s*\d{4}\b.{0,60}",
    ),
]
_COMPILED = [(reason, re.compile(rf"^(?:{p})$", re.IGNORECASE)) for reason, p in _PATTERNS]

# Lines that open a trailing section that is not the article (comments, related posts).
_SECTION_END = re.compile(
    r"^(?:(?:\d+|no|one)\s+(?:comments?|responses?|replies|thoughts?)(?:\s+on\b.*)?"
    r"|comments?\s*[(\[]?\s*\d*\s*[)\]]?|leave\s+a\s+(?:reply|comment|response)(?:\s+to\s+.*)?"
    r"|(?:you\s+(?:may|might)\s+also\s+like|related\s+(?:posts|articles|stories)"
    r"|more\s+(?:stories|articles|posts)|recommended(?:\s+for\s+you)?|join\s+the\s+discussion"
    r"|what\s+do\s+you\s+think)\s*[:?]?)$",
    re.IGNORECASE,
)
_AUTHOR_BOX = re.compile(
    r"^(?:about\s+the\s+(?:author|writer)|author\s+bio(?:graphy)?)\s*:?$", re.I
)
_RELATED = re.compile(
    r"^(?:related(?:\s+(?:posts?|articles?|stories|reading|content|links))?|you\s+(?:may|might)"
    r"\s+also\s+(?:like|enjoy|be\s+interested\s+in)|read\s+(?:also|next)|also\s+read"
    r"|more\s+(?:stories|articles|posts|reading)|recommended(?:\s+(?:for\s+you|reading))?"
    r"|popular\s+(?:posts|articles|stories)|trending\s+now)\s*[:.…]*$",
    re.IGNORECASE,
)
_AUTHOR_LINK = re.compile(
    r"^(?:(?:view|see|read|browse)\s+(?:all\s+)?(?:(?:my|his|her|their)\s+)?(?:posts|articles"
    r"|stories|entries|profile)(?:\s+by\s+.{1,60})?|(?:more|all\s+(?:posts|articles|stories))"
    r"\s+(?:from|by)\s+.{1,60}|follow(?:\s+[\w@.'’-]+){0,4})\s*[:→»›>]*$",
    re.IGNORECASE,
)
_TRAILING_WIDGET = re.compile(
    r"\s*(?:[-+−]?\d+\s+(?:points?|votes?)\s*)?(?:\bupvote\s*\bdownvote\b|[-+−]?\d+\s+points?)\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_MAX_UI_WORDS = 6


def clutter_reason(line: str) -> str | None:
    """Why a (stripped) line is clutter, or None when it may be article text."""
    text = line.strip()
    if not text:
        return None
    if not any(ch.isalpha() for ch in text):
        return None if re.search(r"\d{4}", text) else "no words"
    for reason, pattern in _COMPILED:
        if pattern.match(text):
            return reason
    words = [w.casefold().strip("'’-") for w in _WORD.findall(text)]
    letters = sum(ch.isalpha() for ch in text)
    if words and len(words) <= _MAX_UI_WORDS and letters >= len(text.replace(" ", "")) * 0.6:
        vocabulary = UI_WORDS | _GLUE
        if all(w in vocabulary for w in words) and (
            any(w in UI_WORDS for w in words) or len(words) == 1
        ):
            return "page widget words"
    return None


def strip_trailing_widget(line: str) -> str:
    """Remove a vote widget glued to the end of a line ("… 1956. -1 Points Upvote Downvote")."""
    return _TRAILING_WIDGET.sub("", line) if _TRAILING_WIDGET.search(line) else line


def section_end(line: str) -> bool:
    """True for a line that opens the comments or related-posts part of a page."""
    return bool(_SECTION_END.match(line.strip()))


def author_box_start(line: str) -> bool:
    return bool(_AUTHOR_BOX.match(line.strip()))


def related_list_start(line: str) -> bool:
    """True for the heading of a list of other stories ("Related posts:", "You may also like")."""
    return bool(_RELATED.match(line.strip()))


def author_link(line: str) -> bool:
    """True for the line an author box ends with ("View all posts", "More from NAME")."""
    return bool(_AUTHOR_LINK.match(line.strip()))
